const { createRequire } = require('module');
const req = createRequire(__filename);
module.exports = req('./other.cjs');
