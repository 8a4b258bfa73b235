/**
 * TagCache ("original" mode: tag/path pairs) on the local file system.
 *
 * Starts from the build's seed, `.open-next/dynamodb-provider/dynamodb-cache.json`
 * (DynamoDB items: `{tag:{S}, path:{S}, revalidatedAt:{N}}`, keys prefixed with the
 * build id), keeps the pairs in memory and saves every change to
 * `.open-next/fs-dev-tag-cache.json` (same item format), which is read back on the
 * next start. For local runs and previews.
 */
import fs from "node:fs";
import path from "node:path";
import { openNextDir } from "../../server/paths.ts";
import type { OriginalTagCache, OriginalTagCacheWriteInput } from "../../types/overrides.ts";
import { error } from "../../utils/logger.ts";

type N = { N: string };
type S = { S: string };
interface TagItem {
  tag: S;
  path: S;
  revalidatedAt: N;
  stale?: N;
  expire?: N;
}

const seedFile = path.join(openNextDir, "dynamodb-provider", "dynamodb-cache.json");
export const stateFile = path.join(openNextDir, "fs-dev-tag-cache.json");

let items: Map<string, TagItem> | undefined;
let saving: Promise<void> = Promise.resolve();

function prefix(): string {
  return process.env.OPEN_NEXT_BUILD_ID ?? process.env.NEXT_BUILD_ID ?? "";
}

/** `<buildId>/<key>`, the way the build writes the seed (leading slashes dropped). */
function buildKey(key: string): string {
  return path.posix.join(prefix(), key);
}

function stripKey(key: string): string {
  const p = `${prefix()}/`;
  return key.startsWith(p) ? key.slice(p.length) : key;
}

function itemKey(item: TagItem): string {
  return `${item.tag.S}\u0000${item.path.S}`;
}

function readItems(file: string): TagItem[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    return Array.isArray(parsed) ? parsed.filter((i) => i?.tag?.S && i?.path?.S) : [];
  } catch (e: any) {
    if (e?.code !== "ENOENT") error("cannot read tag cache file", file, e);
    return [];
  }
}

function load(): Map<string, TagItem> {
  if (!items) {
    items = new Map();
    // The saved state overrides the seed for the pairs it knows.
    for (const item of [...readItems(seedFile), ...readItems(stateFile)]) items.set(itemKey(item), item);
  }
  return items;
}

function num(n: N | undefined): number | undefined {
  if (!n) return undefined;
  const v = Number.parseInt(n.N, 10);
  return Number.isNaN(v) ? undefined : v;
}

function save(): Promise<void> {
  const snapshot = JSON.stringify([...load().values()]);
  saving = saving
    .then(async () => {
      const tmp = `${stateFile}.${process.pid}.tmp`;
      await fs.promises.writeFile(tmp, snapshot);
      await fs.promises.rename(tmp, stateFile);
    })
    .catch((e) => error("cannot save tag cache", e));
  return saving;
}

function forPath(p: string): TagItem[] {
  const key = buildKey(p);
  return [...load().values()].filter((i) => i.path.S === key);
}

const tagCache: OriginalTagCache = {
  name: "fs-dev",
  mode: "original",

  async getByPath(p) {
    return forPath(p).map((i) => stripKey(i.tag.S));
  },

  async getByTag(tag) {
    const key = buildKey(tag);
    return [...load().values()].filter((i) => i.tag.S === key).map((i) => stripKey(i.path.S));
  },

  async getLastModified(p, lastModified) {
    const now = Date.now();
    const since = lastModified ?? 0;
    const revalidated = forPath(p).some((i) => {
      const expire = num(i.expire);
      const revalidatedAt = num(i.revalidatedAt) ?? 0;
      // Expired after the entry was written.
      if (expire !== undefined && expire <= now && expire > since) return true;
      // Revalidated after the entry was written, and not merely stale.
      return revalidatedAt > since && (expire === undefined || expire > now) && num(i.stale) === undefined;
    });
    return revalidated ? -1 : (lastModified ?? now);
  },

  async isStale(p, lastModified) {
    const since = lastModified ?? 0;
    return forPath(p).some((i) => {
      const stale = num(i.stale);
      return stale !== undefined && (num(i.revalidatedAt) ?? 0) > since && stale > since;
    });
  },

  async writeTags(tags: OriginalTagCacheWriteInput[]) {
    const map = load();
    for (const t of tags) {
      const item: TagItem = {
        tag: { S: buildKey(t.tag) },
        path: { S: buildKey(t.path) },
        revalidatedAt: { N: String(t.revalidatedAt ?? Date.now()) },
      };
      if (t.stale !== undefined) item.stale = { N: String(t.stale) };
      if (t.expire !== undefined) item.expire = { N: String(t.expire) };
      map.set(itemKey(item), item);
    }
    await save();
  },
};

export default tagCache;
