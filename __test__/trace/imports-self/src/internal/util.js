module.exports = 'util';
