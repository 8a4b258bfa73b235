const impl = process.env.FAST ? require('./fast') : require('./slow');
const opt = require(process.env.X ? './x' : './y');
function shadowed(require) {
  return require('./not-traced');
}
module.exports = { impl, opt, shadowed };
