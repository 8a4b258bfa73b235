async function load(name, lang) {
  const fixed = await import('./pages/home.js');
  const page = await import(`./pages/${name}.js`);
  const msgs = await import('./locales/' + lang + '.json', { with: { type: 'json' } });
  return [fixed, page, msgs];
}
module.exports = load;
