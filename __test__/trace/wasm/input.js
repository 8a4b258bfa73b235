module.exports = [require('wasm-pkg'), require('./esm-wrapper.cjs')];
