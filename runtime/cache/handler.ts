/**
 * Next's incremental cache handler (`cacheHandler` in next.config), backed by
 * the function's IncrementalCache and TagCache overrides.
 *
 * Next loads it from `<function dir>/cache.cjs`, which re-exports
 * `globalThis.__OPEN_NEXT_CACHE_HANDLER__`; `installCacheHandler` sets that.
 * Works with Next 15.5 and 16.x: value kinds APP_PAGE, APP_ROUTE, PAGES,
 * FETCH and REDIRECT, `get(key, ctx)` with `ctx.kind`, `set(key, data, ctx)`
 * with `ctx.cacheControl` (or `ctx.revalidate`), `revalidateTag(tags, durations?)`.
 */
import type {
  CacheHandlerValue,
  GetIncrementalCacheContext,
  IncomingHeaders,
  IncrementalCacheValue,
  RevalidateTagDurations,
  SetIncrementalCacheContext,
} from "../types/next.ts";
import type { CachedFetchValue, CachedFile } from "../types/overrides.ts";
import { isBinaryContentType } from "../utils/binary.ts";
import { CACHE_TAGS_HEADER } from "../utils/cache-headers.ts";
import { addPending, type CacheBackend, getStore } from "../utils/context.ts";
import { debug, error, warn } from "../utils/logger.ts";
import { SOFT_TAG_PREFIX, hasBeenRevalidated, isStaleByTags, registerTagPairs, revalidateTags, staleLastModified } from "./tags.ts";

let defaultBackend: CacheBackend | undefined;

/** Sets the backend used when a call happens outside of a request context. */
export function setDefaultCacheBackend(backend: CacheBackend): void {
  defaultBackend = backend;
}

/** The backend of the function serving the current request. */
export function currentBackend(): CacheBackend {
  const backend = getStore()?.backend ?? defaultBackend;
  if (!backend) throw new Error("open-next: the cache handler was used before the server function was initialised");
  return backend;
}

function isFetchContext(ctx: unknown): boolean {
  if (typeof ctx === "boolean") return ctx;
  if (!ctx || typeof ctx !== "object") return false;
  const c = ctx as GetIncrementalCacheContext & SetIncrementalCacheContext;
  return c.kind === "FETCH" || c.kindHint === "fetch" || c.fetchCache === true;
}

function tagsFromHeaders(headers: IncomingHeaders | Record<string, unknown> | undefined): string[] {
  const value = headers?.[CACHE_TAGS_HEADER];
  if (typeof value !== "string" || value === "") return [];
  return value
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

function revalidateFromContext(ctx: unknown): number | false | undefined {
  if (ctx === undefined || ctx === null) return undefined;
  if (typeof ctx === "number" || ctx === false) return ctx;
  if (typeof ctx !== "object") return undefined;
  const c = ctx as SetIncrementalCacheContext;
  if (c.cacheControl) return c.cacheControl.revalidate;
  if ("revalidate" in c) return c.revalidate;
  return undefined;
}

function bodyEncoding(headers: Record<string, unknown> | undefined): BufferEncoding {
  return isBinaryContentType(headers?.["content-type"]) ? "base64" : "utf8";
}

/**
 * A read that failed is a miss; a missing file (fs-dev) is a plain one, anything
 * else (S3 down, throttled, bad JSON) is logged so the failure is visible.
 */
function cacheReadFailed(what: string, key: string, e: unknown): void {
  if ((e as { code?: string })?.code === "ENOENT") debug(`${what} miss`, key);
  else error(`${what}: cannot read ${key}, rendering without it:`, e);
}

/** Next constructs it with a `CacheHandlerContext`, which it does not need. */
export class OpenNextCacheHandler {
  async get(key: string, ctx?: GetIncrementalCacheContext | boolean): Promise<CacheHandlerValue | null> {
    const backend = currentBackend();
    if (backend.config.dangerous?.disableIncrementalCache) return null;
    return isFetchContext(ctx) ? this.getFetch(backend, key, ctx as GetIncrementalCacheContext) : this.getEntry(backend, key);
  }

  private async getFetch(
    backend: CacheBackend,
    key: string,
    ctx: GetIncrementalCacheContext | undefined,
  ): Promise<CacheHandlerValue | null> {
    try {
      const entry = await backend.incrementalCache.get(key, "fetch");
      if (!entry?.value) return null;
      const tags = [...(ctx?.tags ?? []), ...(ctx?.softTags ?? [])];
      const lastModified = entry.lastModified ?? Date.now();
      if (!entry.shouldBypassTagCache) {
        if (await hasBeenRevalidated(backend, key, tags, lastModified)) return null;
        // Without explicit tags, the page path (the soft tag that is not a layout
        // or page tag) stands for every tag of the entry.
        if ((ctx?.tags ?? []).length === 0) {
          const pathTag = ctx?.softTags?.find((t) => t.startsWith(SOFT_TAG_PREFIX) && !t.endsWith("layout") && !t.endsWith("page"));
          if (pathTag && (await hasBeenRevalidated(backend, pathTag.slice(SOFT_TAG_PREFIX.length), [], lastModified))) {
            return null;
          }
        }
      }
      const stale = !entry.shouldBypassTagCache && (await isStaleByTags(backend, key, tags, lastModified));
      const value = entry.value as CachedFetchValue;
      return {
        lastModified: stale ? 1 : lastModified,
        value: {
          kind: "FETCH",
          data: value.data,
          tags: value.tags,
          revalidate: typeof value.revalidate === "number" ? value.revalidate : (ctx?.revalidate as number),
        },
      };
    } catch (e) {
      cacheReadFailed("fetch cache", key, e);
      return null;
    }
  }

  private async getEntry(backend: CacheBackend, key: string): Promise<CacheHandlerValue | null> {
    try {
      const entry = await backend.incrementalCache.get(key, "cache");
      if (!entry?.value) return null;
      const file = entry.value as CachedFile & { revalidate?: number | false };
      const meta = file.meta;
      const tags = tagsFromHeaders(meta?.headers);
      let lastModified = entry.lastModified ?? Date.now();
      if (!entry.shouldBypassTagCache && (await hasBeenRevalidated(backend, key, tags, lastModified))) {
        return null;
      }
      const stale = !entry.shouldBypassTagCache && (await isStaleByTags(backend, key, tags, lastModified));
      const store = getStore();
      if (store) store.lastModified = stale ? 1 : lastModified;
      if (stale) {
        const revalidate = file.revalidate ?? backend.initialRevalidate?.(key);
        lastModified = staleLastModified(backend.nextVersion, revalidate);
      }
      const value = toNextValue(file);
      if (!value) return null;
      return { lastModified, value };
    } catch (e) {
      cacheReadFailed("cache", key, e);
      return null;
    }
  }

  async set(key: string, data: IncrementalCacheValue | null | undefined, ctx?: SetIncrementalCacheContext): Promise<void> {
    const backend = currentBackend();
    if (backend.config.dangerous?.disableIncrementalCache) return;
    const write = this.write(backend, key, data, ctx);
    const store = getStore();
    if (store) addPending(write, store);
    if (data?.kind === "FETCH" || !store) await write;
  }

  private async write(
    backend: CacheBackend,
    key: string,
    data: IncrementalCacheValue | null | undefined,
    ctx: SetIncrementalCacheContext | undefined,
  ): Promise<void> {
    try {
      const ic = backend.incrementalCache;
      if (data === null || data === undefined) {
        await ic.delete(key);
        return;
      }
      const revalidate = revalidateFromContext(ctx);
      switch (data.kind) {
        case "APP_ROUTE": {
          const headers = (data.headers ?? {}) as Record<string, unknown>;
          await ic.set(
            key,
            {
              type: "route",
              body: Buffer.from(data.body).toString(bodyEncoding(headers)),
              meta: { status: data.status, headers },
              revalidate,
            },
            "cache",
          );
          break;
        }
        case "PAGES": {
          await ic.set(
            key,
            {
              type: "page",
              html: data.html,
              json: data.pageData,
              meta: { status: data.status, headers: data.headers as Record<string, unknown> | undefined },
              revalidate,
            },
            "cache",
          );
          break;
        }
        case "APP_PAGE": {
          let segmentData: Record<string, string> | undefined;
          if (data.segmentData) {
            segmentData = {};
            for (const [segmentPath, content] of data.segmentData) {
              segmentData[segmentPath] = Buffer.from(content).toString("utf8");
            }
          }
          await ic.set(
            key,
            {
              type: "app",
              html: data.html,
              rsc: data.rscData === undefined ? undefined : Buffer.from(data.rscData).toString("utf8"),
              meta: {
                status: data.status,
                headers: data.headers as Record<string, unknown> | undefined,
                postponed: data.postponed,
              },
              segmentData,
              revalidate,
            },
            "cache",
          );
          break;
        }
        case "FETCH": {
          const tags = ctx?.tags ?? data.tags;
          await ic.set(key, { ...data, ...(tags ? { tags } : {}) } as CachedFetchValue, "fetch");
          break;
        }
        case "REDIRECT": {
          await ic.set(key, { type: "redirect", props: data.props, revalidate }, "cache");
          break;
        }
        default:
          // IMAGE entries belong to the image optimizer's cache.
          return;
      }
      if (data.kind !== "FETCH") {
        const store = getStore();
        if (store) store.wroteCacheEntry = true;
      }
      await this.registerTags(backend, key, data, ctx);
    } catch (e) {
      error("failed to write cache entry", key, e);
    }
  }

  /** Records the entry's tags in the tag cache, so that `revalidateTag` finds it. */
  private async registerTags(
    backend: CacheBackend,
    key: string,
    data: IncrementalCacheValue,
    ctx: SetIncrementalCacheContext | undefined,
  ): Promise<void> {
    let derived: string[] = [];
    if (data.kind === "FETCH") derived = ctx?.tags ?? data.tags ?? [];
    else if (data.kind === "APP_PAGE" || data.kind === "PAGES" || data.kind === "APP_ROUTE") {
      derived = tagsFromHeaders(data.headers);
    }
    await registerTagPairs(backend, key, derived);
  }

  async revalidateTag(tags: string | string[], durations?: RevalidateTagDurations): Promise<void> {
    await revalidateTags(currentBackend(), Array.isArray(tags) ? tags : [tags], durations);
  }

  resetRequestCache(): void {}
}

/** Converts a `.cache` file into the value Next expects from a cache handler. */
export function toNextValue(file: CachedFile): IncrementalCacheValue | null {
  const meta = file.meta;
  switch (file.type) {
    case "route":
      return {
        kind: "APP_ROUTE",
        body: Buffer.from(file.body ?? "", bodyEncoding(meta?.headers)),
        status: meta?.status ?? 200,
        headers: (meta?.headers ?? {}) as IncomingHeaders,
      };
    case "app": {
      // Like Next's file system cache: without the html there is nothing to serve.
      if (file.html === undefined) {
        warn("cache entry without html", file);
        return null;
      }
      const segmentData = new Map<string, Buffer>();
      for (const [segmentPath, content] of Object.entries(file.segmentData ?? {})) {
        segmentData.set(segmentPath, Buffer.from(content));
      }
      return {
        kind: "APP_PAGE",
        html: file.html,
        rscData: file.rsc === undefined ? undefined : Buffer.from(file.rsc),
        status: meta?.status,
        headers: meta?.headers as IncomingHeaders | undefined,
        postponed: meta?.postponed,
        segmentData,
      };
    }
    case "page":
      if (file.html === undefined) return null;
      return {
        kind: "PAGES",
        html: file.html,
        pageData: file.json,
        status: meta?.status,
        headers: meta?.headers as IncomingHeaders | undefined,
      };
    case "redirect":
      return { kind: "REDIRECT", props: file.props ?? {} };
    default:
      warn("unknown cache entry type", (file as { type?: unknown }).type);
      return null;
  }
}

/** Publishes the handler where `cache.cjs` picks it up. */
export function installCacheHandler(): void {
  (globalThis as Record<string, unknown>).__OPEN_NEXT_CACHE_HANDLER__ = OpenNextCacheHandler;
}
