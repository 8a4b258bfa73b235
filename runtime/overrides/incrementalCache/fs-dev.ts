/**
 * IncrementalCache on the local file system, reading and writing the build's
 * cache files: `.open-next/cache/<buildId>/<key>.cache` (JSON, a CachedFile)
 * `.open-next/cache/__fetch/<buildId>/<key>` (Next's fetch-cache format) and
 * `.open-next/cache/<buildId>/<key>.composable` (`'use cache'`).
 * A file's mtime is the entry's `lastModified`. For local runs and previews.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { openNextDir } from "../../server/paths.ts";
import { composableStorageKey } from "../../utils/cache-key.ts";
import type { CacheEntryType, CacheValue, IncrementalCache, WithLastModified } from "../../types/overrides.ts";

const cacheRoot = path.join(openNextDir, "cache");

function buildId(): string {
  return process.env.OPEN_NEXT_BUILD_ID ?? process.env.NEXT_BUILD_ID ?? "";
}

/** Resolves a key to its file, refusing keys that would leave the cache directory. */
function filePath(key: string, cacheType: CacheEntryType = "cache"): string {
  const base = cacheType === "fetch" ? path.join(cacheRoot, "__fetch", buildId()) : path.join(cacheRoot, buildId());
  const name = cacheType === "composable" ? `${composableStorageKey(key)}.composable` : `${key}${cacheType === "fetch" ? "" : ".cache"}`;
  const file = path.resolve(base, `.${path.posix.sep}${name.replace(/^\/+/, "")}`);
  if (!file.startsWith(base + path.sep)) throw new Error(`invalid cache key: ${key}`);
  return file;
}

const incrementalCache: IncrementalCache = {
  name: "fs-dev",

  async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
    const file = filePath(key, cacheType);
    const [text, stat] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)]);
    return { value: JSON.parse(text) as CacheValue<T>, lastModified: stat.mtime.getTime() };
  },

  async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
    const file = filePath(key, cacheType);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(value));
    await fs.rename(tmp, file);
  },

  async delete(key: string): Promise<void> {
    await fs.rm(filePath(key), { force: true });
  },
};

export default incrementalCache;
