module.exports = (function (modules) {
  var installedModules = {};
  function __webpack_require__(moduleId) {
    if (installedModules[moduleId]) return installedModules[moduleId].exports;
    var module = (installedModules[moduleId] = { exports: {} });
    modules[moduleId].call(module.exports, module, module.exports, __webpack_require__);
    return module.exports;
  }
  return __webpack_require__(2);
})([
  function (module, exports) {
    module.exports = require("fs");
  },
  function (module, exports) {
    "use strict";
    module.exports = require("path");
  },
  function (module, exports, __webpack_require__) {
    const fs = __webpack_require__(0);
    const path = __webpack_require__(1);
    module.exports = fs.readFileSync(path.join(__dirname, "webpack-asset.txt"), "utf8");
  },
]);
