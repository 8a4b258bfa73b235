/**
 * ImageLoader `host`: local images fetched from the site itself,
 * `https://<HOST><url>` (`HOST` is the request's host unless set).
 */
import type { ImageLoader } from "../../types/overrides.ts";
import { platformFetch } from "../../utils/platform-fetch.ts";

const loader: ImageLoader = {
  name: "host",
  async load(url) {
    const host = process.env.HOST;
    if (!host) throw new Error("the image function's host loader needs HOST");
    const res = await platformFetch(`https://${host}${url}`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw Object.assign(new Error(`https://${host}${url} answered ${res.status}`), { status: res.status });
    return {
      body: Buffer.from(await res.arrayBuffer()),
      contentType: res.headers.get("content-type") ?? "image/jpeg",
      cacheControl: res.headers.get("cache-control") ?? "private, max-age=0, must-revalidate",
    };
  },
};

export default loader;
