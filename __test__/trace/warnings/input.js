require('./broken');
require('missing-package');
require('./ok');
