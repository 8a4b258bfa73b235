require('./umd');
require('./wrapper');
require('./webpack4');
