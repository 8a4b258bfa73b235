module.exports = import('./loader.mjs');
