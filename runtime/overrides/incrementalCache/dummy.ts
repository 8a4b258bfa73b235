/** IncrementalCache `dummy`: caches nothing (every read misses, writes are dropped). */
import type { IncrementalCache } from "../../types/overrides.ts";

const incrementalCache: IncrementalCache = {
  name: "dummy",
  async get() {
    return null;
  },
  async set() {},
  async delete() {},
};

export default incrementalCache;
