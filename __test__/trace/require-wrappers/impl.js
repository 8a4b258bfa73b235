module.exports = 'impl';
