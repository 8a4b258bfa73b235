module.exports = 'slow';
