module.exports = require('./b.js') + 1;
