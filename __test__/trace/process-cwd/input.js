const fs = require('fs');
const path = require('path');
module.exports = fs.readFileSync(path.join(process.cwd(), 'content', 'post.md'), 'utf8');
