module.exports = require('semver');
