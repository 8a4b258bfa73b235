/** Warmer `dummy`: warms nothing. */
import type { Warmer } from "../../types/overrides.ts";

const warmer: Warmer = {
  name: "dummy",
  async invoke() {},
};

export default warmer;
