/**
 * OpenNext's DynamoDB tag cache ("original" mode) over a transport:
 * `dynamodb-lite` (signed fetch) and `dynamodb` (the AWS SDK's DynamoDBClient)
 * send the same Query and BatchWriteItem inputs. The table is `CACHE_DYNAMO_TABLE`
 * (hash key `tag`, range key `path`, index `revalidate` on `path` +
 * `revalidatedAt`), region `CACHE_BUCKET_REGION` (as OpenNext).
 *
 * Reads that fail are logged and answered as "nothing revalidated", so cached
 * pages keep being served while DynamoDB is down; failed writes are logged and
 * thrown, so the caller knows the revalidation was not recorded. Query results
 * are paged through, and unprocessed batch items are written again (bounded).
 */
import { revalidatedSince, staleSince, stripTagKey, type TagItem, tagItem, tagKey } from "../cache/tag-items.ts";
import type {
  NextModeTagCache,
  NextModeTagCacheWriteInput,
  OriginalTagCache,
  OriginalTagCacheWriteInput,
  TagSeeder,
} from "../types/overrides.ts";
import { getStore } from "../utils/context.ts";
import { intEnv } from "../utils/env.ts";
import { error } from "../utils/logger.ts";
import { cacheRegion as region } from "./region.ts";

/** How one DynamoDB client sends a Query and a BatchWriteItem (inputs and outputs as in the API). */
export interface DynamoTransport {
  /** BatchGetItem (only the nextMode cache uses it). */
  batchGet?(
    input: Record<string, unknown>,
    region: string,
    what: string,
  ): Promise<{ Responses?: Record<string, unknown[]>; UnprocessedKeys?: Record<string, { Keys?: unknown[] }> }>;
  query(input: Record<string, unknown>, region: string, what: string): Promise<{ Items?: unknown[]; LastEvaluatedKey?: unknown }>;
  batchWrite(input: Record<string, unknown>, region: string, what: string): Promise<{ UnprocessedItems?: Record<string, unknown[]> }>;
}

const BATCH = 25;
const MAX_PAGES = 50;
const MAX_UNPROCESSED_ROUNDS = 5;

function table(): string {
  const t = process.env.CACHE_DYNAMO_TABLE;
  if (!t) throw new Error("CACHE_DYNAMO_TABLE is not set; set it to the tag cache table");
  return t;
}

function disabled(): boolean {
  return (globalThis as any).openNextConfig?.dangerous?.disableTagCache === true;
}

async function query(t: DynamoTransport, byPath: boolean, key: string): Promise<TagItem[]> {
  const items: TagItem[] = [];
  let start: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await t.query(
      {
        TableName: table(),
        ...(byPath ? { IndexName: "revalidate" } : {}),
        KeyConditionExpression: "#k = :k",
        ExpressionAttributeNames: { "#k": byPath ? "path" : "tag" },
        ExpressionAttributeValues: { ":k": { S: tagKey(key) } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      },
      region(),
      `DynamoDB Query ${table()} ${byPath ? "path" : "tag"}=${tagKey(key)}`,
    );
    items.push(...((out.Items ?? []) as TagItem[]).filter((i) => i?.tag?.S && i?.path?.S));
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return items;
}

/** The items of a path, once per request (the cache handler asks several times). */
function itemsForPath(t: DynamoTransport, p: string): Promise<TagItem[]> {
  const store = getStore() as (ReturnType<typeof getStore> & { dynamoPaths?: Map<string, Promise<TagItem[]>> }) | undefined;
  if (!store) return query(t, true, p);
  store.dynamoPaths ??= new Map();
  let items = store.dynamoPaths.get(p);
  if (!items) {
    items = query(t, true, p);
    store.dynamoPaths.set(p, items);
    items.catch(() => store.dynamoPaths?.delete(p));
  }
  return items;
}

async function batchWrite(t: DynamoTransport, items: TagItem[]): Promise<void> {
  let pending: unknown[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_UNPROCESSED_ROUNDS) {
      throw new Error(`DynamoDB BatchWriteItem ${table()}: ${pending.length} items still unprocessed after ${round} rounds`);
    }
    if (round > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
    const out = await t.batchWrite({ RequestItems: { [table()]: pending } }, region(), `DynamoDB BatchWriteItem ${table()}`);
    pending = out.UnprocessedItems?.[table()] ?? [];
  }
}

/** Writes items in batches of 25, `DYNAMO_BATCH_WRITE_COMMAND_CONCURRENCY` batches (4 by default) at a time. */
async function writeItems(t: DynamoTransport, items: TagItem[]): Promise<void> {
  const batches: TagItem[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  const concurrency = intEnv("DYNAMO_BATCH_WRITE_COMMAND_CONCURRENCY", 4);
  for (let i = 0; i < batches.length; i += concurrency) {
    await Promise.all(batches.slice(i, i + concurrency).map((b) => batchWrite(t, b)));
  }
}

/** A tag cache named `name` over `t`. */
export function createDynamoTagCache(name: string, t: DynamoTransport): OriginalTagCache {
  return {
    name,
    mode: "original",

    async getByPath(p) {
      if (disabled()) return [];
      try {
        return (await itemsForPath(t, p)).map((i) => stripTagKey(i.tag.S));
      } catch (e) {
        error("tag cache: cannot read the tags of", p, e);
        return [];
      }
    },

    async getByTag(tag) {
      if (disabled()) return [];
      try {
        return (await query(t, false, tag)).map((i) => stripTagKey(i.path.S));
      } catch (e) {
        error("tag cache: cannot read the paths of tag", tag, e);
        return [];
      }
    },

    async getLastModified(p, lastModified) {
      if (disabled()) return lastModified ?? Date.now();
      try {
        return revalidatedSince(await itemsForPath(t, p), lastModified) ? -1 : (lastModified ?? Date.now());
      } catch (e) {
        error("tag cache: cannot check whether", p, "was revalidated; serving it as cached", e);
        return lastModified ?? Date.now();
      }
    },

    async isStale(p, lastModified) {
      if (disabled()) return false;
      try {
        return staleSince(await itemsForPath(t, p), lastModified);
      } catch (e) {
        error("tag cache: cannot check whether", p, "is stale", e);
        return false;
      }
    },

    writeTags: (tags) => writeTags(t, tags),
  };
}

/** The writing half of [`createDynamoTagCache`], all the initializer seeds with. */
export function createDynamoTagSeeder(name: string, t: DynamoTransport): TagSeeder {
  return { name, mode: "original", writeTags: (tags) => writeTags(t, tags) };
}

async function writeTags(t: DynamoTransport, tags: OriginalTagCacheWriteInput[]): Promise<void> {
  if (disabled() || tags.length === 0) return;
  try {
    await writeItems(t, tags.map(tagItem));
  } catch (e) {
    error("tag cache: cannot write", tags.length, "tag/path pairs", e);
    throw e;
  } finally {
    // What this request read of these paths is out of date now.
    const store = getStore() as { dynamoPaths?: Map<string, unknown> } | undefined;
    for (const w of tags) store?.dynamoPaths?.delete(w.path);
  }
}

/** `<buildId>/_tag/<tag>`: the nextMode item key (OpenNext's; the same in `tag` and `path`). */
function nextModeKey(tag: string): string {
  return tagKey(`_tag/${tag}`);
}

/** The items of `tags` (one BatchGetItem per 100, unprocessed keys asked again, bounded), once per request. */
async function nextModeItems(t: DynamoTransport, tags: string[]): Promise<TagItem[]> {
  const store = getStore() as { dynamoTags?: Map<string, TagItem | null> } | undefined;
  const known = store ? (store.dynamoTags ??= new Map()) : new Map<string, TagItem | null>();
  const missing = [...new Set(tags)].filter((tag) => !known.has(tag));
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    let keys: unknown[] = chunk.map((tag) => ({ path: { S: nextModeKey(tag) }, tag: { S: nextModeKey(tag) } }));
    const found = new Map<string, TagItem>();
    for (let round = 0; keys.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS)
        throw new Error(`DynamoDB BatchGetItem ${table()}: ${keys.length} keys still unprocessed after ${round} rounds`);
      if (round > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** round));
      const out = await t.batchGet!({ RequestItems: { [table()]: { Keys: keys } } }, region(), `DynamoDB BatchGetItem ${table()}`);
      for (const item of (out.Responses?.[table()] ?? []) as TagItem[]) if (item?.tag?.S) found.set(item.tag.S, item);
      keys = out.UnprocessedKeys?.[table()]?.Keys ?? [];
    }
    for (const tag of chunk) known.set(tag, found.get(nextModeKey(tag)) ?? null);
  }
  return tags.map((tag) => known.get(tag)).filter((i): i is TagItem => !!i);
}

/**
 * A nextMode tag cache named `name` over `t` (OpenNext's `dynamodb-nextMode`): one
 * item per tag, key `<buildId>/_tag/<tag>` in both `tag` and `path`, so the same
 * table serves. Entries are checked against their own tags; nothing needs seeding.
 */
export function createDynamoNextModeTagCache(name: string, t: DynamoTransport): NextModeTagCache {
  return {
    name,
    mode: "nextMode",
    async getLastRevalidated(tags) {
      if (disabled() || tags.length === 0) return 0;
      try {
        return Math.max(0, ...(await nextModeItems(t, tags)).map((i) => Number.parseInt(i.revalidatedAt.N, 10) || 0));
      } catch (e) {
        error("tag cache: cannot read tags", tags, e);
        return 0;
      }
    },
    async hasBeenRevalidated(tags, lastModified) {
      if (disabled() || tags.length === 0) return false;
      try {
        return revalidatedSince(await nextModeItems(t, tags), lastModified);
      } catch (e) {
        error("tag cache: cannot check whether tags", tags, "were revalidated; serving as cached", e);
        return false;
      }
    },
    async isStale(tags, lastModified) {
      if (disabled() || tags.length === 0) return false;
      try {
        return staleSince(await nextModeItems(t, tags), lastModified);
      } catch (e) {
        error("tag cache: cannot check whether tags", tags, "are stale", e);
        return false;
      }
    },
    async writeTags(tags: NextModeTagCacheWriteInput[]) {
      if (disabled() || tags.length === 0) return;
      const items = tags.map((w) => {
        const { tag, stale, expire } = typeof w === "string" ? { tag: w, stale: undefined, expire: undefined } : w;
        return tagItem({ tag: `_tag/${tag}`, path: `_tag/${tag}`, stale, expire });
      });
      try {
        await writeItems(t, items);
      } catch (e) {
        error("tag cache: cannot write tags", tags, e);
        throw e;
      } finally {
        const store = getStore() as { dynamoTags?: Map<string, unknown> } | undefined;
        for (const w of tags) store?.dynamoTags?.delete(typeof w === "string" ? w : w.tag);
      }
    },
  };
}
