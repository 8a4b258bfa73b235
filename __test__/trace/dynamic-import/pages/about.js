module.exports = 'about';
