/**
 * The S3 incremental cache, over a transport: `s3-lite` (signed fetch) and `s3`
 * (the AWS SDK's S3Client) differ only in how an object is read, written and
 * deleted. Bucket `CACHE_BUCKET_NAME`, layout in `s3.ts`. A missing object is a
 * miss; any other failure throws, naming the bucket and key.
 *
 * An entry's `lastModified` is compared with the tag cache's `revalidatedAt`
 * (milliseconds). S3's `Last-Modified` has whole seconds, so a page rewritten in
 * the same second as a `revalidateTag` would look revalidated again. Each write
 * therefore stores its exact time as user metadata (`x-amz-meta-written-at`,
 * ms); objects without it (OpenNext's, `cache/` uploads) fall back to
 * `Last-Modified`.
 */
import type { CacheEntryType, CacheValue, IncrementalCache, WithLastModified } from "../types/overrides.ts";
import { cacheRegion } from "./region.ts";
import { cacheObjectKey } from "./s3.ts";

/** The user-metadata name (without `x-amz-meta-`) of an entry's exact write time. */
export const WRITTEN_AT = "written-at";

/** An object as read: its text, its `Last-Modified` and its `written-at` metadata. */
export interface S3Object {
  text: string;
  /** `Last-Modified` in ms (whole seconds). */
  lastModified?: number;
  /** The `written-at` metadata, as stored. */
  writtenAt?: string;
}

/** How one S3 client reads, writes and deletes an object. */
export interface S3Transport {
  /** The object, or null when it does not exist. */
  get(bucket: string, key: string, region: string): Promise<S3Object | null>;
  /** Writes `body`, with `writtenAt` (ms) as the `written-at` metadata. */
  put(bucket: string, key: string, body: string, region: string, writtenAt: number): Promise<void>;
  delete(bucket: string, key: string, region: string): Promise<void>;
}

function bucket(name: string): string {
  const b = process.env.CACHE_BUCKET_NAME;
  if (!b) throw new Error(`${name}: CACHE_BUCKET_NAME is not set; set it to the bucket holding the \`cache/\` folder of the build`);
  return b;
}

/** The exact write time when the object carries it, else its `Last-Modified`. */
export function entryTime(found: S3Object): number | undefined {
  const exact = Number(found.writtenAt);
  if (found.writtenAt && Number.isFinite(exact) && exact > 0) return exact;
  return found.lastModified;
}

/** An IncrementalCache named `name` over `transport`. */
export function createS3IncrementalCache(name: string, transport: S3Transport): IncrementalCache {
  return {
    name,
    async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
      const found = await transport.get(bucket(name), cacheObjectKey(key, cacheType), cacheRegion());
      if (!found) return null;
      return { value: JSON.parse(found.text) as CacheValue<T>, lastModified: entryTime(found) };
    },
    async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
      await transport.put(bucket(name), cacheObjectKey(key, cacheType), JSON.stringify(value), cacheRegion(), Date.now());
    },
    async delete(key: string): Promise<void> {
      await transport.delete(bucket(name), cacheObjectKey(key, "cache"), cacheRegion());
    },
  };
}
