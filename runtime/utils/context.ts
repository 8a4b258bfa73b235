/**
 * Per-request context, carried through Next's async work with AsyncLocalStorage.
 *
 * The storage instance lives on `globalThis` so that every server function
 * bundle loaded in one process (the preview server loads them side by side)
 * shares it: the cache handler Next loads through `cache.cjs` is a single class,
 * and it finds the backend of the function serving the request in the store.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { CdnInvalidation } from "../cache/cdn.ts";
import type { IncrementalCache, OpenNextConfig, Queue, TagCache, WaitUntil } from "../types/overrides.ts";

/** What the cache handler needs to serve one function's requests. */
export interface CacheBackend {
  incrementalCache: IncrementalCache;
  tagCache: TagCache;
  queue: Queue;
  config: OpenNextConfig;
  /** `deploymentId ?? BUILD_ID`: prefix of the cache keys. */
  buildId: string;
  /** The installed Next.js version. */
  nextVersion: string;
  /** The build-time revalidate time of the entry with that cache key (prerender manifest), when known. */
  initialRevalidate?: (key: string) => number | false | undefined;
  /** The CDN in front of the function, when `cdnInvalidation` is not `dummy`. */
  cdn?: CdnInvalidation;
}

export interface RequestStore {
  requestId: string;
  /** True for the regeneration requests the queue sends (`x-isr: 1` with the preview id). */
  isISRRevalidation: boolean;
  /**
   * Last modification time of the response's cache entry, set by the cache
   * handler (`1` marks an entry made stale by the tag cache).
   */
  lastModified?: number;
  /** Work to finish before the request is considered done. */
  pending: Set<Promise<unknown>>;
  /** Tag/path pairs already written during this request. */
  writtenTags: Set<string>;
  /** A page, route or redirect entry was written to the incremental cache during this request. */
  wroteCacheEntry?: boolean;
  /** Tag revalidations already done during this request (Next asks every cache handler). */
  revalidatedTags?: Set<string>;
  /** The implicit tags each `'use cache'` read of this request came with, by cache key. */
  composableSoftTags?: Map<string, string[]>;
  waitUntil?: WaitUntil;
  backend?: CacheBackend;
}

const ALS_KEY = Symbol.for("open-next-rs.als");

type GlobalWithAls = typeof globalThis & { [ALS_KEY]?: AsyncLocalStorage<RequestStore> };

function storage(): AsyncLocalStorage<RequestStore> {
  const g = globalThis as GlobalWithAls;
  if (!g[ALS_KEY]) g[ALS_KEY] = new AsyncLocalStorage<RequestStore>();
  return g[ALS_KEY] as AsyncLocalStorage<RequestStore>;
}

export function getStore(): RequestStore | undefined {
  return storage().getStore();
}

/** Runs `fn` in a new request context; waits for the context's pending work before resolving. */
export async function runWithRequestContext<T>(
  init: Pick<RequestStore, "requestId" | "isISRRevalidation" | "waitUntil" | "backend">,
  fn: () => Promise<T>,
): Promise<T> {
  const store: RequestStore = { ...init, pending: new Set(), writtenTags: new Set() };
  return storage().run(store, async () => {
    try {
      return await fn();
    } finally {
      await drainPending(store);
    }
  });
}

/** Registers work that must be finished before the request's handler resolves. */
export function addPending(promise: Promise<unknown>, store: RequestStore | undefined = getStore()): void {
  if (!store) return;
  const p = promise.catch(() => undefined).finally(() => store.pending.delete(p));
  store.pending.add(p);
  store.waitUntil?.(p as Promise<void>);
}

/** Waits for the request's pending work, including work added while waiting. */
export async function drainPending(store: RequestStore): Promise<void> {
  // New work may be added while waiting.
  while (store.pending.size > 0) {
    await Promise.all([...store.pending]);
  }
}

/**
 * Gives Next the platform's request context (`Symbol.for("@next/request-context")`,
 * read by Next's `getWaitUntil`): its `waitUntil` adds to the current request's
 * pending work, so `after()`, on-demand revalidation writes and other work Next
 * defers finish before the handler returns its result (on Lambda nothing runs once
 * the invocation has returned). Outside a request, Next falls back to its own.
 */
export function installNextRequestContext(): void {
  // Read by the patched response cache of Next (patch `disable-background-revalidation`).
  (globalThis as Record<string, unknown>).__openNextIsRegeneration = () => getStore()?.isISRRevalidation === true;
  // Its response cache batch keys: each regeneration reads and regenerates on its own.
  (globalThis as Record<string, unknown>).__openNextRegenerationKey = () => {
    const store = getStore();
    return store?.isISRRevalidation === true ? `-regeneration-${store.requestId}` : "";
  };
  const key = Symbol.for("@next/request-context");
  const g = globalThis as Record<symbol, unknown>;
  g[key] = {
    get() {
      const store = getStore();
      return store ? { waitUntil: (promise: Promise<unknown>) => addPending(promise, store) } : undefined;
    },
  };
}
