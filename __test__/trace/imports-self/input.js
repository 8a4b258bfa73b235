const internal = require('#internal/util');
const self = require('imports-self-fixture/feature');
const ext = require('#dep');
module.exports = { internal, self, ext };
