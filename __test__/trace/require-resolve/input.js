const p = require.resolve('tool/bin/cli.js');
const q = require.resolve('./worker');
module.exports = { p, q };
