module.exports = 'matched too: a wildcard right after / spans directories';
