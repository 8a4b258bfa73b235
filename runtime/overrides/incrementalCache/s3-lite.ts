/**
 * IncrementalCache `s3-lite`: the cache entries as S3 objects (layout in
 * `aws/s3.ts`), read and written with signed `fetch` (no AWS SDK in the
 * bundle). Bucket `CACHE_BUCKET_NAME`, region `CACHE_BUCKET_REGION`; the
 * endpoint variables of `aws/client.ts` apply. A missing object is a miss; any
 * other failure throws, naming the bucket and key.
 */
import { awsFetch } from "../../aws/client.ts";
import { cacheObjectKey, cacheRegion, objectUrl } from "../../aws/s3.ts";
import type { CacheEntryType, CacheValue, IncrementalCache, WithLastModified } from "../../types/overrides.ts";

function bucket(): string {
  const b = process.env.CACHE_BUCKET_NAME;
  if (!b) throw new Error("s3-lite: CACHE_BUCKET_NAME is not set; set it to the bucket holding the `cache/` folder of the build");
  return b;
}

const incrementalCache: IncrementalCache = {
  name: "s3-lite",

  async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
    const region = cacheRegion();
    const k = cacheObjectKey(key, cacheType);
    const res = await awsFetch(
      objectUrl(bucket(), k, region),
      { method: "GET" },
      { service: "s3", region, what: `S3 GetObject s3://${bucket()}/${k}`, ok: (s) => s === 404 },
    );
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const value = (await res.json()) as CacheValue<T>;
    const lastModified = Date.parse(res.headers.get("last-modified") ?? "");
    return { value, lastModified: Number.isNaN(lastModified) ? undefined : lastModified };
  },

  async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
    const region = cacheRegion();
    const k = cacheObjectKey(key, cacheType);
    const res = await awsFetch(
      objectUrl(bucket(), k, region),
      { method: "PUT", body: JSON.stringify(value), headers: { "content-type": "application/json" } },
      { service: "s3", region, what: `S3 PutObject s3://${bucket()}/${k}` },
    );
    await res.body?.cancel();
  },

  async delete(key: string): Promise<void> {
    const region = cacheRegion();
    const k = cacheObjectKey(key, "cache");
    const res = await awsFetch(
      objectUrl(bucket(), k, region),
      { method: "DELETE" },
      { service: "s3", region, what: `S3 DeleteObject s3://${bucket()}/${k}` },
    );
    await res.body?.cancel();
  },
};

export default incrementalCache;
