function plugin(name) {
  return require('./plugins/' + name);
}
function theme(t) {
  return require(`./themes/${t}/index`);
}
module.exports = { plugin, theme };
