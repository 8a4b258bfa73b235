require('./child');
