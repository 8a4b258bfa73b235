/**
 * Minimal local types for the parts of Next.js the runtime talks to.
 * Nothing here is imported from `next`: the shapes are those of Next 15.5 and 16.x.
 */

/** The request handler returned by `next().getRequestHandler()`. */
export type NextRequestHandler = (req: any, res: any, parsedUrl?: unknown) => Promise<void>;

/** What `require("next")` returns when called. */
export interface NextCustomServer {
  prepare(): Promise<void>;
  getRequestHandler(): NextRequestHandler;
  close?(): Promise<void>;
}

export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** `cacheControl` handed to the cache handler's `set` (15.x and 16.x). */
export type CacheControl = { revalidate: number | false; expire?: number };

export type CachedRedirectValue = { kind: "REDIRECT"; props: object };

export type CachedAppPageValue = {
  kind: "APP_PAGE";
  html: string;
  rscData: Buffer | undefined;
  status: number | undefined;
  postponed: string | undefined;
  headers: IncomingHeaders | undefined;
  segmentData: Map<string, Buffer> | undefined;
};

export type CachedPageValue = {
  kind: "PAGES";
  html: string;
  pageData: object;
  status: number | undefined;
  headers: IncomingHeaders | undefined;
};

export type CachedRouteValue = {
  kind: "APP_ROUTE";
  body: Buffer;
  status: number;
  headers: IncomingHeaders;
};

export type CachedFetchData = {
  headers: Record<string, string>;
  body: string;
  url: string;
  status?: number;
};

export type CachedFetchValueNext = {
  kind: "FETCH";
  data: CachedFetchData;
  tags?: string[];
  revalidate: number;
};

export type CachedImageValue = { kind: "IMAGE"; [key: string]: unknown };

export type IncrementalCacheValue =
  | CachedRedirectValue
  | CachedAppPageValue
  | CachedPageValue
  | CachedRouteValue
  | CachedFetchValueNext
  | CachedImageValue;

export type CacheHandlerValue = {
  lastModified?: number;
  age?: number;
  cacheState?: string;
  value: IncrementalCacheValue | null;
};

/** Second argument of `CacheHandler.get` (15.x/16.x carry `kind`; older ones `kindHint`/`fetchCache`). */
export type GetIncrementalCacheContext = {
  kind?: string;
  kindHint?: string;
  fetchCache?: boolean;
  isRoutePPREnabled?: boolean;
  isFallback?: boolean;
  revalidate?: number | false;
  fetchUrl?: string;
  fetchIdx?: number;
  tags?: string[];
  softTags?: string[];
};

/** Third argument of `CacheHandler.set`. */
export type SetIncrementalCacheContext = {
  fetchCache?: boolean;
  fetchUrl?: string;
  fetchIdx?: number;
  tags?: string[];
  isRoutePPREnabled?: boolean;
  isFallback?: boolean;
  revalidate?: number | false;
  cacheControl?: CacheControl;
};

/** Argument of the cache handler's constructor. */
export type CacheHandlerContext = {
  dev?: boolean;
  fs?: unknown;
  flushToDisk?: boolean;
  serverDistDir?: string;
  maxMemoryCacheSize?: number;
  fetchCacheKeyPrefix?: string;
  revalidatedTags?: string[];
  _requestHeaders?: IncomingHeaders;
};

/** Durations Next 16 passes to `revalidateTag` (`revalidateTag(tag, profile)`). */
export type RevalidateTagDurations = { expire?: number };

/** One `'use cache'` entry, as Next hands it to and takes it from a `cacheHandlers` handler. */
export type ComposableCacheEntry = {
  value: ReadableStream<Uint8Array>;
  tags: string[];
  /** Seconds the client may use it (not used for expiry). */
  stale: number;
  /** When it was created (ms). */
  timestamp: number;
  /** Seconds after `timestamp` it must not be used any more. */
  expire: number;
  /** Seconds after `timestamp` it is regenerated in the background (`-1`: now). */
  revalidate: number;
};

/** The subset of `.next/prerender-manifest.json` the runtime reads. */
export type PrerenderManifest = {
  version?: number;
  routes?: Record<string, { initialRevalidateSeconds?: number | false; srcRoute?: string | null; dataRoute?: string | null }>;
  dynamicRoutes?: Record<string, unknown>;
  preview: { previewModeId: string; previewModeSigningKey?: string; previewModeEncryptionKey?: string };
};

/** The subset of Next's serialized config (`required-server-files.json#config`) the runtime reads. */
export type NextConfig = {
  basePath?: string;
  poweredByHeader?: boolean;
  deploymentId?: string;
  i18n?: { locales: string[]; defaultLocale: string; localeDetection?: boolean } | null;
  experimental?: Record<string, unknown>;
  [key: string]: unknown;
};
