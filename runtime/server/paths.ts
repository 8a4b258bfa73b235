/**
 * Where things are at run time. The runtime is bundled into
 * `.open-next/server-functions/<name>[/<packagePath>]/index.mjs`, so
 * `import.meta.url` is the bundle itself and the function (app) directory is
 * its directory.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The server function directory (holds `index.mjs`, `.next/`, `node_modules/`, `cache.cjs`). */
export const functionDir: string = path.dirname(fileURLToPath(import.meta.url));

/**
 * The `.open-next` output directory: the parent of the `server-functions`
 * directory above the bundle (in a monorepo the bundle sits in
 * `server-functions/<name>/<packagePath>/`), else two levels up.
 */
export const openNextDir: string = findOpenNextDir(functionDir);

function findOpenNextDir(from: string): string {
  let dir = from;
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    if (path.basename(parent) === "server-functions") return path.dirname(parent);
    dir = parent;
  }
  return path.resolve(from, "..", "..");
}

/** The cache handler module Next loads (`cacheHandler` in the Next config). */
export const cacheHandlerPath: string = path.join(functionDir, "cache.cjs");

/** The `'use cache'` handler module Next loads (`cacheHandlers` in the Next config). */
export const composableCacheHandlerPath: string = path.join(functionDir, "composable-cache.cjs");
