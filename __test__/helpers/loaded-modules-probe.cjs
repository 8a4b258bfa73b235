// Preloaded with `node --require` into a server under test: on SIGUSR2 it writes
// the absolute paths of every CommonJS module loaded so far to $LOADED_MODULES_OUT.
const fs = require("node:fs");
process.on("SIGUSR2", () => {
  fs.writeFileSync(process.env.LOADED_MODULES_OUT, Object.keys(require.cache).join("\n"));
});
