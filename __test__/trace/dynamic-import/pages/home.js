module.exports = 'home';
