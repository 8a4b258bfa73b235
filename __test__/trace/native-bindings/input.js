module.exports = require('legacy-addon');
