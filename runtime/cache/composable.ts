/**
 * Next's `'use cache'` handler (`cacheHandlers.default` and `.remote` in the
 * Next config), backed by the function's IncrementalCache (`composable`
 * entries) and TagCache, so an entry written by one instance is read by every
 * other and a tag revalidated anywhere is honoured everywhere.
 *
 * Next loads it from `<function dir>/composable-cache.cjs`, which re-exports
 * `globalThis.__OPEN_NEXT_COMPOSABLE_CACHE_HANDLER__`. It speaks both handler
 * interfaces: Next 15.5 (`getExpiration(...tags)`, `expireTags(...tags)`) and
 * Next 16 (`getExpiration(tags)`, `updateTags(tags, durations)`).
 *
 * Tags, by tag cache mode:
 * - `nextMode`: Next's own model. `getExpiration` answers for the request's
 *   implicit tags (paths), `get` checks the entry's own tags.
 * - `original` (tag/path pairs): the entry's "path" is `_use_cache/<key>`.
 *   Its own tags and the implicit tags of the request that wrote it are
 *   registered with it, so `revalidateTag` and `revalidatePath` both reach it
 *   through `getByTag`.
 */
import type { ComposableCacheEntry as CacheEntry, RevalidateTagDurations } from "../types/next.ts";
import type { CacheValue, StoredComposableEntry } from "../types/overrides.ts";
import { addPending, getStore } from "../utils/context.ts";
import { debug, error } from "../utils/logger.ts";
import { currentBackend } from "./handler.ts";
import { readAll } from "../utils/read-all.ts";
import { composableTagPath, hasBeenRevalidated, isStaleByTags, registerTagPairs, revalidateTags } from "./tags.ts";

/** Entries being written by this instance: a `get` for one waits for it. */
const pending = new Map<string, Promise<StoredComposableEntry | undefined>>();

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text: UTF-8 when they are (what OpenNext stores), base64 otherwise. */
function encodeValue(bytes: Buffer): Pick<StoredComposableEntry, "value" | "encoding"> {
  try {
    return { value: utf8.decode(bytes) };
  } catch {
    return { value: bytes.toString("base64"), encoding: "base64" };
  }
}

function toStream(stored: StoredComposableEntry): ReadableStream<Uint8Array> {
  const bytes = Buffer.from(stored.value, stored.encoding === "base64" ? "base64" : "utf8");
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(new Uint8Array(bytes));
      controller.close();
    },
  });
}

function toEntry(stored: StoredComposableEntry, revalidate = stored.revalidate): CacheEntry {
  const { value: _value, encoding: _encoding, ...meta } = stored;
  return { ...meta, revalidate, value: toStream(stored) };
}

/** Implicit tags seen by this request's `get`s, by cache key: registered with the entry when it is written. */
function rememberSoftTags(key: string, softTags: string[] | undefined): void {
  const store = getStore();
  if (!store || !softTags?.length) return;
  store.composableSoftTags ??= new Map();
  store.composableSoftTags.set(key, softTags);
}

export const composableCacheHandler = {
  async get(key: string, softTags?: string[]): Promise<CacheEntry | undefined> {
    rememberSoftTags(key, softTags);
    const inFlight = pending.get(key);
    if (inFlight) {
      const stored = await inFlight;
      return stored ? toEntry(stored) : undefined;
    }
    const backend = currentBackend();
    if (backend.config.dangerous?.disableIncrementalCache) return undefined;
    try {
      const found = await backend.incrementalCache.get(key, "composable");
      const stored = found?.value as CacheValue<"composable"> | undefined;
      if (!stored || typeof stored.value !== "string") return undefined;
      const written = stored.timestamp ?? found?.lastModified;
      if (found?.shouldBypassTagCache) return toEntry(stored);
      if (await hasBeenRevalidated(backend, composableTagPath(key), stored.tags ?? [], written)) {
        debug("use cache: revalidated by a tag", key);
        return undefined;
      }
      // A tag made it stale without expiring it: served once more, regenerated in the background.
      const stale = await isStaleByTags(backend, composableTagPath(key), stored.tags ?? [], written);
      return toEntry(stored, stale ? -1 : stored.revalidate);
    } catch (e) {
      if ((e as { code?: string })?.code === "ENOENT") debug("use cache miss", key);
      else error(`use cache: cannot read ${key}, computing it again:`, e);
      return undefined;
    }
  },

  async set(key: string, pendingEntry: Promise<CacheEntry>): Promise<void> {
    const backend = currentBackend();
    const softTags = getStore()?.composableSoftTags?.get(key) ?? [];
    const stored = pendingEntry.then(
      async (entry): Promise<StoredComposableEntry | undefined> => {
        const { value, ...meta } = entry;
        const bytes = await readAll(value);
        return { ...meta, ...encodeValue(bytes) };
      },
      () => undefined,
    );
    pending.set(key, stored);
    const write = (async () => {
      try {
        const entry = await stored;
        // Like Next's own handler: an entry that expires at once is never stored.
        if (!entry || entry.expire === 0 || backend.config.dangerous?.disableIncrementalCache) return;
        await backend.incrementalCache.set(key, entry, "composable");
        await registerTagPairs(backend, composableTagPath(key), [...(entry.tags ?? []), ...softTags]);
      } catch (e) {
        error(`use cache: cannot write ${key}:`, e);
      } finally {
        pending.delete(key);
      }
    })();
    addPending(write);
    await write;
  },

  async refreshTags(): Promise<void> {},

  /** The newest revalidation of these (implicit) tags; `original` mode checks them in `get` instead. */
  async getExpiration(...args: Array<string | string[]>): Promise<number> {
    const backend = currentBackend();
    const tc = backend.tagCache;
    if (tc.mode !== "nextMode" || backend.config.dangerous?.disableTagCache) return 0;
    const tags = args.flat();
    if (tags.length === 0) return 0;
    try {
      return await tc.getLastRevalidated(tags);
    } catch (e) {
      error("use cache: cannot read the tag cache, trusting the entries:", e);
      return 0;
    }
  },

  /** Next 16: `revalidateTag(tag, profile)`, `updateTag`, `revalidatePath`. */
  async updateTags(tags: string[], durations?: RevalidateTagDurations): Promise<void> {
    await revalidateTags(currentBackend(), tags, durations);
  },

  /** Next 15.5: `revalidateTag`, `revalidatePath`. */
  async expireTags(...tags: string[]): Promise<void> {
    await revalidateTags(currentBackend(), tags);
  },

  /** Next 15.0–15.2 told every handler about tags expired elsewhere; the tag cache already knows. */
  async receiveExpiredTags(): Promise<void> {},
};

/** Publishes the handler where `composable-cache.cjs` picks it up. */
export function installComposableCacheHandler(): void {
  (globalThis as Record<string, unknown>).__OPEN_NEXT_COMPOSABLE_CACHE_HANDLER__ = composableCacheHandler;
}
