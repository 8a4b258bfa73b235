/**
 * The S3 objects of the incremental cache, as OpenNext lays them out:
 * `<CACHE_BUCKET_KEY_PREFIX>/<buildId>/<key>.cache` and
 * `<CACHE_BUCKET_KEY_PREFIX>/__fetch/<buildId>/<key>` (the build's `cache/`
 * folder, uploaded under the prefix), and `'use cache'` entries at
 * `<CACHE_BUCKET_KEY_PREFIX>/<buildId>/<key>.composable`.
 */
import path from "node:path";
import type { CacheEntryType } from "../types/overrides.ts";
import { composableStorageKey } from "../utils/cache-key.ts";
import { customEndpoint, endpointFor } from "./client.ts";

/** The object key of a cache entry. */
export function cacheObjectKey(key: string, cacheType: CacheEntryType = "cache"): string {
  const prefix = process.env.CACHE_BUCKET_KEY_PREFIX ?? "";
  const buildId = process.env.OPEN_NEXT_BUILD_ID ?? "";
  if (cacheType === "fetch") return path.posix.join(prefix, "__fetch", buildId, key);
  if (cacheType === "composable") return `${path.posix.join(prefix, buildId)}/${composableStorageKey(key)}.composable`;
  return path.posix.join(prefix, buildId, `${key}.cache`);
}

/** The URL of an object: path-style on a configured endpoint, virtual-hosted on AWS. */
export function objectUrl(bucket: string, key: string, region: string): string {
  const encoded = key.split("/").map(encodeURIComponent).join("/");
  if (customEndpoint("s3")) return `${endpointFor("s3", region)}/${bucket}/${encoded}`;
  return `https://${bucket}.s3.${region}.amazonaws.com/${encoded}`;
}
