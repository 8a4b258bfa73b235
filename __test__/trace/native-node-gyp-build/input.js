module.exports = require('addon');
