/**
 * Which CDN paths an on-demand revalidation makes out of date, and handing
 * them to the `cdnInvalidation` override. Pages are found from the tag/path
 * pairs the revalidation wrote (page cache keys; fetch and `'use cache'`
 * entries are not served by the CDN) or, in `nextMode`, from the paths in the
 * soft tags. A failed invalidation is logged; the revalidation itself stands.
 */
import { pathFromCacheKey } from "../server/next-files.ts";
import type { NextFiles } from "../server/next-files.ts";
import type { CDNInvalidationHandler, PathToInvalidate } from "../types/overrides.ts";
import { error } from "../utils/logger.ts";

/** What the cache handlers need to invalidate the CDN. */
export interface CdnInvalidation {
  handler: CDNInvalidationHandler;
  /** The page a cache key belongs to, or undefined for entries the CDN does not serve. */
  pageOfKey(key: string): PathToInvalidate | undefined;
  /** The page at an app path (without the basePath). */
  pageOfPath(path: string): PathToInvalidate;
}

const FETCH_KEY = /^[0-9a-f]{64}$/;
const ROUTE_CACHE_KIND = /^\/?route-cache\/(PAGES|APP_PAGE|APP_ROUTE)\//;

export function cdnInvalidation(handler: CDNInvalidationHandler, files: NextFiles): CdnInvalidation {
  const basePath = files.config.basePath ?? "";
  const routes = files.prerenderManifest?.routes ?? {};
  const pageOfPath = (path: string, kind?: string): PathToInvalidate => {
    let type: "app" | "page" | "route";
    if (kind === "PAGES") type = "page";
    else if (kind === "APP_ROUTE") type = "route";
    else if (kind === "APP_PAGE") type = "app";
    else {
      const dataRoute = routes[path]?.dataRoute;
      type = dataRoute ? (dataRoute.endsWith(".json") ? "page" : "app") : files.pagesRoutes.has(path) ? "page" : "app";
    }
    const initialPath = basePath ? (path === "/" ? basePath : `${basePath}${path}`) : path;
    return { initialPath, rawPath: path, resolvedRoutes: [{ route: path, type }] };
  };
  return {
    handler,
    pageOfPath,
    pageOfKey(key) {
      if (key.startsWith("_use_cache/") || FETCH_KEY.test(key) || key.startsWith("__meta_")) return undefined;
      return pageOfPath(pathFromCacheKey(key), ROUTE_CACHE_KIND.exec(key)?.[1]);
    },
  };
}

/** Invalidates these pages in the CDN (nothing with the `dummy` override). */
export async function invalidatePages(cdn: CdnInvalidation | undefined, pages: PathToInvalidate[]): Promise<void> {
  if (!cdn || pages.length === 0) return;
  const unique = [...new Map(pages.map((p) => [p.initialPath, p])).values()];
  try {
    await cdn.handler.invalidatePaths(unique);
  } catch (e) {
    error(
      `cdnInvalidation ${cdn.handler.name}: cannot invalidate ${unique.map((p) => p.initialPath).join(", ")}; the CDN serves them until they expire:`,
      e,
    );
  }
}
