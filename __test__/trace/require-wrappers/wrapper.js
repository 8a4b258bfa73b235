function load(id) {
  var mod = require(id);
  return mod;
}
module.exports = load('./loaded');
