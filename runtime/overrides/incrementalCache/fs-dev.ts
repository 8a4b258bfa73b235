/**
 * IncrementalCache on the local file system, reading and writing the build's
 * cache files: `.open-next/cache/<buildId>/<key>.cache` (JSON, a CachedFile)
 * `.open-next/cache/__fetch/<buildId>/<key>` (Next's fetch-cache format) and
 * `.open-next/cache/<buildId>/<key>.composable` (`'use cache'`).
 * A file's mtime is the entry's `lastModified`. For local runs and previews.
 *
 * Reads are synchronous: an entry is a small local file, and the promise API
 * spends five thread-pool round trips (open, fstat, read, close, stat) on what
 * `fstatSync` + `readFileSync` do in microseconds (a fifth of the time of a
 * cached page). Writes stay asynchronous.
 */
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
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

/** Writes started by this process, naming their temporary files. */
let writes = 0;

const incrementalCache: IncrementalCache = {
  name: "fs-dev",

  async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
    const fd = openSync(filePath(key, cacheType), "r");
    try {
      const lastModified = fstatSync(fd).mtimeMs;
      return { value: JSON.parse(readFileSync(fd, "utf8")) as CacheValue<T>, lastModified: Math.floor(lastModified) };
    } finally {
      closeSync(fd);
    }
  },

  async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
    const file = filePath(key, cacheType);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a concurrent reader never sees half a file; each write
    // has its own temporary file (two writes of one key may come in the same ms).
    const tmp = `${file}.${process.pid}.${++writes}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(value));
    await fs.rename(tmp, file);
  },

  async delete(key: string): Promise<void> {
    await fs.rm(filePath(key), { force: true });
  },
};

export default incrementalCache;
