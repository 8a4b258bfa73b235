module.exports = require('a');
