module.exports = 'not-traced';
