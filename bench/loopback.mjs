// Preloaded (`node --import`) into the benchmarked server functions: a server that
// listens on a bare port (OpenNext's node wrapper does `server.listen(PORT)`) is
// bound to 127.0.0.1 instead of all interfaces. Loaded for both tools alike.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [a, b] = args;
  if ((typeof a === "number" || (typeof a === "string" && /^\d+$/.test(a))) && typeof b !== "string") {
    args.splice(1, 0, "127.0.0.1");
  } else if (a && typeof a === "object" && !(a instanceof net.Server) && a.port !== undefined && !a.host && !a.path) {
    args[0] = { ...a, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
