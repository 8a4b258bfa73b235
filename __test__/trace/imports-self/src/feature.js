module.exports = 'feature';
