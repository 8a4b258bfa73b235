/**
 * The S3 incremental cache, over a transport: `s3-lite` (signed fetch) and `s3`
 * (the AWS SDK's S3Client) differ only in how an object is read, written and
 * deleted. Bucket `CACHE_BUCKET_NAME`, layout in `s3.ts`. A missing object is a
 * miss; any other failure throws, naming the bucket and key.
 */
import type { CacheEntryType, CacheValue, IncrementalCache, WithLastModified } from "../types/overrides.ts";
import { cacheRegion } from "./region.ts";
import { cacheObjectKey } from "./s3.ts";

/** How one S3 client reads, writes and deletes an object. */
export interface S3Transport {
  /** The object's text and Last-Modified (ms), or null when it does not exist. */
  get(bucket: string, key: string, region: string): Promise<{ text: string; lastModified?: number } | null>;
  put(bucket: string, key: string, body: string, region: string): Promise<void>;
  delete(bucket: string, key: string, region: string): Promise<void>;
}

function bucket(name: string): string {
  const b = process.env.CACHE_BUCKET_NAME;
  if (!b) throw new Error(`${name}: CACHE_BUCKET_NAME is not set; set it to the bucket holding the \`cache/\` folder of the build`);
  return b;
}

/** An IncrementalCache named `name` over `transport`. */
export function createS3IncrementalCache(name: string, transport: S3Transport): IncrementalCache {
  return {
    name,
    async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
      const found = await transport.get(bucket(name), cacheObjectKey(key, cacheType), cacheRegion());
      if (!found) return null;
      return { value: JSON.parse(found.text) as CacheValue<T>, lastModified: found.lastModified };
    },
    async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
      await transport.put(bucket(name), cacheObjectKey(key, cacheType), JSON.stringify(value), cacheRegion());
    },
    async delete(key: string): Promise<void> {
      await transport.delete(bucket(name), cacheObjectKey(key, "cache"), cacheRegion());
    },
  };
}
