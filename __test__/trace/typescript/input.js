require('./util');
require('./esm-style.js');
