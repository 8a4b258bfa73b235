import type { OpenNextConfig } from "open-next-rs";

// Runs the server function as a plain Node HTTP server with file-system caches:
// the setup `open-next preview` and `node .open-next/server-functions/default/index.mjs` use.
const config = {
  default: {
    override: {
      wrapper: "node",
      converter: "node",
      incrementalCache: "fs-dev",
      tagCache: "fs-dev",
      queue: "direct",
    },
  },
} satisfies OpenNextConfig;

export default config;
