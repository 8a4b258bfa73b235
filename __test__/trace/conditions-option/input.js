require('cond');
require('cond/utils/strings');
