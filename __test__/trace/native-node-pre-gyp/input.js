module.exports = require('pregyp-addon');
