module.exports = 'light';
