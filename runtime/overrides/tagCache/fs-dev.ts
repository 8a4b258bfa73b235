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
import { stateFileWriter } from "../../utils/state-file.ts";
import { revalidatedSince, staleSince, stripTagKey, type TagItem, tagItem, tagKey } from "../../cache/tag-items.ts";

const seedFile = path.join(openNextDir, "dynamodb-provider", "dynamodb-cache.json");
export const stateFile = path.join(openNextDir, "fs-dev-tag-cache.json");

let items: Map<string, TagItem> | undefined;

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

const write = stateFileWriter(stateFile, "the tag cache");

function save(): Promise<void> {
  return write(JSON.stringify([...load().values()]));
}

function forPath(p: string): TagItem[] {
  const key = tagKey(p);
  return [...load().values()].filter((i) => i.path.S === key);
}

const tagCache: OriginalTagCache = {
  name: "fs-dev",
  mode: "original",

  async getByPath(p) {
    return forPath(p).map((i) => stripTagKey(i.tag.S));
  },

  async getByTag(tag) {
    const key = tagKey(tag);
    return [...load().values()].filter((i) => i.tag.S === key).map((i) => stripTagKey(i.path.S));
  },

  async getLastModified(p, lastModified) {
    return revalidatedSince(forPath(p), lastModified) ? -1 : (lastModified ?? Date.now());
  },

  async isStale(p, lastModified) {
    return staleSince(forPath(p), lastModified);
  },

  async writeTags(tags: OriginalTagCacheWriteInput[]) {
    const map = load();
    for (const t of tags) {
      const item = tagItem(t);
      map.set(itemKey(item), item);
    }
    await save();
  },
};

export default tagCache;
/** What the initializer seeds through. */
export const seeder = tagCache;
