require('./keep');
require('./skip/me');
require('big-dep');
