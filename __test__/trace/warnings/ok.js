module.exports = 'ok';
