/** Origin resolver `dummy`: keeps the origin the CDN had chosen for the request. */
import type { OriginResolver } from "../../types/overrides.ts";

const resolver: OriginResolver = {
  name: "dummy",
  resolve: async () => false,
};

export default resolver;
