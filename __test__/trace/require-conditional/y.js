module.exports = 'y';
