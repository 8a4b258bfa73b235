module.exports = 'not an index';
