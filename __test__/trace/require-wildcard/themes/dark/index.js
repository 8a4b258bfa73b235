module.exports = 'dark';
