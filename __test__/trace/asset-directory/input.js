const fs = require('fs');
const path = require('path');
const views = fs.readdirSync(path.join(__dirname, 'views'));
function locale(l) {
  return fs.readFileSync(path.join(__dirname, 'locales', l + '.json'));
}
module.exports = { views, locale };
