/**
 * Tag cache helpers shared by the cache handlers (incremental and `'use
 * cache'`): is an entry revalidated, stale, writing tag/path pairs once per
 * request, revalidating tags.
 */
import type { CacheBackend } from "../utils/context.ts";
import { getStore } from "../utils/context.ts";
import { versionAtLeast } from "../utils/semver.ts";
import type { RevalidateTagDurations } from "../types/next.ts";
import type { NextModeTagCache, NextModeTagCacheWriteInput, OriginalTagCacheWriteInput, PathToInvalidate } from "../types/overrides.ts";
import { debug, error } from "../utils/logger.ts";
import { type CdnInvalidation, invalidatePages } from "./cdn.ts";

export const SOFT_TAG_PREFIX = "_N_T_/";

/**
 * Where a `'use cache'` entry stands in the tag/path pairs of the "original"
 * tag cache: `_use_cache/<key>`, apart from the pages (whose paths the CDN
 * serves) and the fetch cache.
 */
export const COMPOSABLE_PATH_PREFIX = "_use_cache/";

/** The tag-cache path of a `'use cache'` entry. */
export function composableTagPath(key: string): string {
  return COMPOSABLE_PATH_PREFIX + key;
}

function tagCacheDisabled(backend: CacheBackend): boolean {
  return backend.config.dangerous?.disableTagCache === true;
}

/**
 * Whether the entry was revalidated (or expired) through a tag after it was written;
 * such an entry must not be served.
 */
export async function hasBeenRevalidated(
  backend: CacheBackend,
  key: string,
  tags: string[],
  lastModified: number | undefined,
): Promise<boolean> {
  if (tagCacheDisabled(backend)) return false;
  const lm = lastModified ?? Date.now();
  const tc = backend.tagCache;
  if (tc.mode === "nextMode") {
    return tags.length === 0 ? false : tc.hasBeenRevalidated(tags, lm);
  }
  return (await tc.getLastModified(key, lm)) === -1;
}

/**
 * Whether a tag made the entry stale without expiring it (Next 16's
 * `revalidateTag(tag, profile)`): it is served and revalidated in the background.
 */
export async function isStaleByTags(backend: CacheBackend, key: string, tags: string[], lastModified: number): Promise<boolean> {
  if (!versionAtLeast(backend.nextVersion, "16.0.0")) return false;
  if (tagCacheDisabled(backend)) return false;
  const tc = backend.tagCache;
  if (tc.mode === "nextMode") {
    return tags.length === 0 ? false : ((await tc.isStale?.(tags, lastModified)) ?? false);
  }
  return (await tc.isStale?.(key, lastModified)) ?? false;
}

/**
 * The `lastModified` to report for an entry made stale by a tag. Up to Next
 * 16.2 any old date works (`1`); from 16.3 Next also compares
 * `lastModified + expire` with now and would force a blocking render, so the
 * date is put just past the revalidate window instead.
 */
export function staleLastModified(nextVersion: string, revalidate: unknown): number {
  if (!versionAtLeast(nextVersion, "16.3.0")) return 1;
  if (typeof revalidate !== "number") return 1;
  return Date.now() - revalidate * 1000 - 1;
}

function tagKey(t: NextModeTagCacheWriteInput | OriginalTagCacheWriteInput): string {
  if (typeof t === "string") return t;
  // A pair registered on write (revalidatedAt 1) and the same pair revalidated
  // later in the request are different writes.
  if ("path" in t) return `${t.revalidatedAt === 1 ? "set" : "rev"}\u0000${t.tag}\u0000${t.path}`;
  return t.tag;
}

/** Writes tags, skipping the ones this request already wrote. */
export async function writeTags(
  backend: CacheBackend,
  tags: Array<NextModeTagCacheWriteInput | OriginalTagCacheWriteInput>,
): Promise<void> {
  if (tagCacheDisabled(backend)) return;
  const store = getStore();
  const toWrite = store
    ? tags.filter((t) => {
        const k = tagKey(t);
        if (store.writtenTags.has(k)) return false;
        store.writtenTags.add(k);
        return true;
      })
    : tags;
  if (toWrite.length === 0) return;
  const tc = backend.tagCache;
  if (tc.mode === "nextMode") await tc.writeTags(toWrite as NextModeTagCacheWriteInput[]);
  else await tc.writeTags(toWrite as OriginalTagCacheWriteInput[]);
}

/**
 * Records tag/path pairs for a cache entry ("original" mode only; `nextMode`
 * keeps no pairs), so that `revalidateTag` finds the entry. Pairs the tag cache
 * already has are not written again.
 */
export async function registerTagPairs(backend: CacheBackend, path: string, tags: string[]): Promise<void> {
  const tc = backend.tagCache;
  if (tagCacheDisabled(backend) || tc.mode === "nextMode" || tags.length === 0) return;
  const stored = new Set(await tc.getByPath(path));
  const missing = [...new Set(tags)].filter((t) => !stored.has(t));
  if (missing.length === 0) return;
  // revalidatedAt 1: known pairs that were never revalidated.
  await writeTags(
    backend,
    missing.map((tag) => ({ tag, path, revalidatedAt: 1 })),
  );
}

/**
 * Revalidates tags (`revalidateTag`, `revalidatePath`, `updateTag`): without
 * `durations` they expire now; with them (Next 16 profiles) they are stale now
 * and expire after `durations.expire` seconds. Next asks every cache handler
 * (the incremental one and `'use cache'`'s) with the same tags; the work is done
 * once per request.
 */
export async function revalidateTags(backend: CacheBackend, tags: string[], durations?: RevalidateTagDurations): Promise<void> {
  const dangerous = backend.config.dangerous;
  if (dangerous?.disableTagCache || dangerous?.disableIncrementalCache) return;
  const store = getStore();
  const once = `${JSON.stringify(durations ?? null)}\u0000`;
  const list = tags.filter((t) => typeof t === "string" && t !== "" && !store?.revalidatedTags?.has(once + t));
  if (list.length === 0) return;
  if (store) {
    store.revalidatedTags ??= new Set();
    for (const t of list) store.revalidatedTags.add(once + t);
  }
  debug("revalidateTag", list, durations);
  try {
    const now = Date.now();
    const window = (): { stale?: number; expire?: number } =>
      durations ? { stale: now, expire: durations.expire !== undefined ? now + durations.expire * 1000 : undefined } : { expire: now };
    const tc = backend.tagCache;
    if (tc.mode === "nextMode") {
      await writeTags(
        backend,
        list.map((tag) => ({ tag, ...window() })),
      );
      if (backend.cdn) await invalidatePages(backend.cdn, await nextModePages(backend.cdn, tc, list));
      return;
    }
    const toWrite: OriginalTagCacheWriteInput[] = [];
    for (const tag of list) {
      const paths = await tc.getByTag(tag);
      debug("revalidateTag", tag, paths);
      for (const path of paths) toWrite.push({ tag, path, ...window() });
      // A soft tag (a page's path) also revalidates every page sharing one of
      // the page's hard tags. `'use cache'` entries are registered with soft
      // tags too, but do not spread them.
      if (tag.startsWith(SOFT_TAG_PREFIX)) {
        for (const path of paths.filter((p) => !p.startsWith(COMPOSABLE_PATH_PREFIX))) {
          const hardTags = (await tc.getByPath(path)).filter((t) => !t.startsWith(SOFT_TAG_PREFIX));
          for (const hardTag of hardTags) {
            for (const p of await tc.getByTag(hardTag)) toWrite.push({ tag: hardTag, path: p, ...window() });
          }
        }
      }
    }
    await writeTags(backend, toWrite);
    const cdn = backend.cdn;
    if (cdn)
      await invalidatePages(
        cdn,
        toWrite.map((w) => cdn.pageOfKey(w.path)).filter((p) => p !== undefined),
      );
  } catch (e) {
    error("failed to revalidate tags", list, e);
  }
}

/**
 * The pages of revalidated tags in `nextMode`, which keeps no tag/path pairs:
 * the concrete paths of soft tags (`_N_T_/blog/a`, `_N_T_/blog/a/page`) and
 * what the tag cache's `getPathsByTags` knows.
 */
async function nextModePages(cdn: CdnInvalidation, tc: NextModeTagCache, tags: string[]): Promise<PathToInvalidate[]> {
  const paths = new Set<string>();
  for (const tag of tags) {
    if (!tag.startsWith(SOFT_TAG_PREFIX)) continue;
    const p = tag.slice(SOFT_TAG_PREFIX.length - 1).replace(/\/page$/, "");
    if (!p.endsWith("/layout") && !p.includes("[")) paths.add(p === "" ? "/" : p);
  }
  for (const p of (await tc.getPathsByTags?.(tags)) ?? []) paths.add(p.startsWith("/") ? p : `/${p}`);
  return [...paths].map((p) => cdn.pageOfPath(p));
}
