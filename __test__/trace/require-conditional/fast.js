module.exports = 'fast';
