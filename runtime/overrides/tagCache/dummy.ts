/** TagCache `dummy`: knows no tags, so nothing is ever revalidated through it. */
import type { OriginalTagCache } from "../../types/overrides.ts";

const tagCache: OriginalTagCache = {
  name: "dummy",
  mode: "original",
  async getByPath() {
    return [];
  },
  async getByTag() {
    return [];
  },
  async getLastModified(_path, lastModified) {
    return lastModified ?? Date.now();
  },
  async writeTags() {},
  async isStale() {
    return false;
  },
};

export default tagCache;
/** What the initializer seeds through. */
export const seeder = tagCache;
