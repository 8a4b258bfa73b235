module.exports = 'polyfill';
