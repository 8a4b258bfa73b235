/**
 * IncrementalCache `multi-tier-ddb-s3` (OpenNext's): an in-memory LRU per
 * instance (`OPEN_NEXT_LOCAL_CACHE_SIZE` entries, default 1000) in front of the
 * `s3-lite` cache, kept honest by a metadata item per key in the tag table
 * (`CACHE_DYNAMO_TABLE`, key `__meta_<buildId>_<key>` in both `tag` and `path`,
 * `revalidatedAt` of the last write, `deleted` after a delete).
 *
 * A local entry younger than `OPEN_NEXT_LOCAL_CACHE_TTL_MS` (default 0) is used as
 * is; an older one is used while the metadata item says no instance wrote the key
 * since; otherwise (or when DynamoDB cannot be read) S3 is read. Writes go to S3
 * first, then to the metadata item.
 */
import { jsonCall } from "../../aws/client.ts";
import { cacheRegion as region } from "../../aws/region.ts";
import type { CacheEntryType, CacheValue, IncrementalCache, WithLastModified } from "../../types/overrides.ts";
import { intEnv } from "../../utils/env.ts";
import { debug, error } from "../../utils/logger.ts";
import s3 from "./s3-lite.ts";

type Local = { value: CacheValue<any>; lastModified: number };

const local = new Map<string, Local>();

function remember(key: string, entry: Local): void {
  const max = intEnv("OPEN_NEXT_LOCAL_CACHE_SIZE", 1000, 0);
  local.delete(key);
  local.set(key, entry);
  while (local.size > max) local.delete(local.keys().next().value as string);
}

function metaKey(key: string): { tag: { S: string }; path: { S: string } } {
  const k = `__meta_${process.env.OPEN_NEXT_BUILD_ID ?? ""}_${key}`;
  return { tag: { S: k }, path: { S: k } };
}

async function putMeta(key: string, attrs: Record<string, unknown>): Promise<void> {
  const table = process.env.CACHE_DYNAMO_TABLE;
  await jsonCall(
    "dynamodb",
    region(),
    "DynamoDB_20120810.PutItem",
    { TableName: table, Item: { ...metaKey(key), ...attrs } },
    `DynamoDB PutItem ${table} ${metaKey(key).tag.S}`,
  );
}

const localKey = (key: string, cacheType?: CacheEntryType) => `${cacheType ?? "cache"}:${key}`;

const incrementalCache: IncrementalCache = {
  name: "multi-tier-ddb-s3",

  async get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null> {
    const lk = localKey(key, cacheType);
    const cached = local.get(lk);
    if (cached) {
      if (Date.now() - cached.lastModified < intEnv("OPEN_NEXT_LOCAL_CACHE_TTL_MS", 0, 0)) return cached;
      try {
        const table = process.env.CACHE_DYNAMO_TABLE;
        const out = await jsonCall(
          "dynamodb",
          region(),
          "DynamoDB_20120810.GetItem",
          { TableName: table, Key: metaKey(key) },
          `DynamoDB GetItem ${table} ${metaKey(key).tag.S}`,
        );
        if (out.Item?.deleted?.BOOL) {
          local.delete(lk);
          return null;
        }
        const written = Number.parseInt(out.Item?.revalidatedAt?.N ?? "0", 10) || 0;
        if (written <= cached.lastModified) {
          debug("multi-tier: local entry still current", key);
          remember(lk, cached);
          return cached;
        }
      } catch (e) {
        error("multi-tier: cannot read the metadata of", key, "; reading S3", e);
      }
    }
    const result = await s3.get(key, cacheType);
    if (result?.value) remember(lk, { value: result.value, lastModified: result.lastModified ?? Date.now() });
    return result;
  },

  async set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void> {
    const revalidatedAt = Date.now();
    await s3.set(key, value, cacheType);
    await putMeta(key, { revalidatedAt: { N: String(revalidatedAt) } });
    remember(localKey(key, cacheType), { value, lastModified: revalidatedAt });
  },

  async delete(key: string): Promise<void> {
    await s3.delete(key);
    await putMeta(key, { deleted: { BOOL: true } });
    local.delete(localKey(key));
  },
};

export default incrementalCache;
