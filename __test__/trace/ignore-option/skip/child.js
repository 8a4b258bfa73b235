module.exports = 'never analysed';
