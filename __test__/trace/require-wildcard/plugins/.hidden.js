module.exports = 'dot files are not globbed';
