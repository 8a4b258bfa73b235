module.exports = 'never required';
