/** ImageLoader `dummy`: no local images (every one is a 404). */
import type { ImageLoader } from "../../types/overrides.ts";

const loader: ImageLoader = {
  name: "dummy",
  async load(url) {
    throw Object.assign(new Error(`the dummy image loader has no ${url}`), { status: 404 });
  },
};

export default loader;
