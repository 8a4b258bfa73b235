module.exports = {{{ not javascript;
