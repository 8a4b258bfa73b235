module.exports = 'worker';
