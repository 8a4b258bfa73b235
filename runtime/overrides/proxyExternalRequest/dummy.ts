/** `proxyExternalRequest: "dummy"`: external rewrites fail (answered with the 500 page). */
import type { ProxyExternalRequest } from "../../types/overrides.ts";

const proxy: ProxyExternalRequest = {
  name: "dummy",
  async proxy() {
    throw new Error("external rewrites are disabled (proxyExternalRequest: dummy)");
  },
};

export default proxy;
