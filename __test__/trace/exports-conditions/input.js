require('cond');
require('cond/feature');
require('cond/utils/strings');
require('cond/package.json');
module.exports = import('./esm.mjs');
