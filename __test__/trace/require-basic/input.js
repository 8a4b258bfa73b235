const a = require('./lib/a');
const data = require('./data.json');
const dir = require('./dir');
const pkg = require('dep');
const scoped = require('@scope/thing/sub');
module.exports = { a, data, dir, pkg, scoped };
