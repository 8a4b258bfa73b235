/** cdnInvalidation `dummy` (the default): the CDN keeps its copies until they expire. */
import type { CDNInvalidationHandler } from "../../types/overrides.ts";
import { debug } from "../../utils/logger.ts";

const cdnInvalidation: CDNInvalidationHandler = {
  name: "dummy",
  async invalidatePaths(paths) {
    debug(
      "dummy cdnInvalidation: not invalidated",
      paths.map((p) => p.initialPath),
    );
  },
};

export default cdnInvalidation;
