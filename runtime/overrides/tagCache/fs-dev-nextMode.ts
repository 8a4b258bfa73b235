/**
 * TagCache `fs-dev-nextMode` (OpenNext's local `nextMode` tag cache): one item
 * per tag (when it was revalidated, and its `stale`/`expire` times for
 * `revalidateTag(tag, profile)`), kept in memory and saved on every change to
 * `.open-next/fs-dev-tag-cache-nextMode.json`, read back on the next start (so
 * revalidations outlive a restart, and are shared with other local processes
 * that start later). For local runs and previews.
 */
import fs from "node:fs";
import path from "node:path";
import { revalidatedSince, staleSince, type TagItem, tagItem } from "../../cache/tag-items.ts";
import { openNextDir } from "../../server/paths.ts";
import type { NextModeTagCache, NextModeTagCacheWriteInput } from "../../types/overrides.ts";
import { error } from "../../utils/logger.ts";
import { stateFileWriter } from "../../utils/state-file.ts";

export const stateFile = path.join(openNextDir, "fs-dev-tag-cache-nextMode.json");

let items: Map<string, TagItem> | undefined;

function load(): Map<string, TagItem> {
  if (!items) {
    items = new Map();
    try {
      const saved = JSON.parse(fs.readFileSync(stateFile, "utf8")) as Record<string, TagItem>;
      for (const [tag, item] of Object.entries(saved)) if (item?.revalidatedAt?.N) items.set(tag, item);
    } catch (e: any) {
      if (e?.code !== "ENOENT") error("cannot read tag cache file", stateFile, e);
    }
  }
  return items;
}

const write = stateFileWriter(stateFile, "the tag cache");

function save(): Promise<void> {
  return write(JSON.stringify(Object.fromEntries(load())));
}

const disabled = () =>
  (globalThis as { openNextConfig?: { dangerous?: { disableTagCache?: boolean } } }).openNextConfig?.dangerous?.disableTagCache === true;

function itemsOf(tags: string[]): TagItem[] {
  const all = load();
  return tags.flatMap((t) => all.get(t) ?? []);
}

const tagCache: NextModeTagCache = {
  name: "fs-dev-nextMode",
  mode: "nextMode",
  async getLastRevalidated(tags) {
    if (disabled()) return 0;
    return Math.max(0, ...itemsOf(tags).map((i) => Number.parseInt(i.revalidatedAt.N, 10) || 0));
  },
  async hasBeenRevalidated(tags, lastModified) {
    return !disabled() && revalidatedSince(itemsOf(tags), lastModified);
  },
  async isStale(tags, lastModified) {
    return !disabled() && staleSince(itemsOf(tags), lastModified);
  },
  async writeTags(tags: NextModeTagCacheWriteInput[]) {
    if (disabled() || tags.length === 0) return;
    const all = load();
    for (const w of tags) {
      const { tag, stale, expire } = typeof w === "string" ? { tag: w, stale: undefined, expire: undefined } : w;
      all.set(tag, tagItem({ tag, path: tag, stale, expire }));
    }
    await save();
  },
};

export default tagCache;
/** What the initializer seeds through. */
export const seeder = tagCache;
