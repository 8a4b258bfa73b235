/**
 * Types shared by the server runtime and its overrides.
 *
 * The names and shapes follow OpenNext's public override interfaces so that a
 * user's custom override (a lazy `() => Promise<Override>` in
 * `open-next.config.ts`) written for OpenNext plugs in unchanged.
 */
import type { Readable, Writable } from "node:stream";

/** Every event or result carries a discriminating `type`. */
export type BaseEventOrResult<T extends string = string> = {
  type: T;
};

/** A request, independent of the platform it came from. */
export type InternalEvent = {
  readonly method: string;
  /** The pathname of the request, without the query string. */
  readonly rawPath: string;
  /** The absolute URL of the request. */
  readonly url: string;
  readonly body?: Buffer;
  /** Lower-cased header names; repeated headers are joined with `,`. */
  readonly headers: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  readonly cookies: Record<string, string>;
  readonly remoteAddress: string;
  /**
   * The largest answer (headers and body) the platform takes from the function
   * itself, when it has a cap (Lambda@Edge: about 40 KB on viewer requests, 1 MB
   * on origin requests). The external middleware sends larger answers on to the origin.
   */
  readonly maxResponseBytes?: number;
  /** The platform gave the function only the start of the body (Lambda@Edge's `inputTruncated`). */
  readonly bodyTruncated?: boolean;
} & BaseEventOrResult<"core">;

/** A response, independent of the platform it goes to. */
export type InternalResult = {
  statusCode: number;
  /** Lower-cased header names; `set-cookie` is always an array. */
  headers: Record<string, string | string[]>;
  /**
   * The body. When the handler was given a `StreamCreator` the body has already
   * been streamed to it, and this holds the retained chunks (if any).
   */
  body: Readable;
  isBase64Encoded: boolean;
  rewriteStatusCode?: number;
} & BaseEventOrResult<"core">;

/** Lets a wrapper stream the response as it is produced. */
export interface StreamCreator {
  /** Called once, when the status and headers are known; returns where the body goes. */
  writeHeaders(prelude: { statusCode: number; cookies: string[]; headers: Record<string, string> }): Writable;
  onWrite?: () => void;
  onFinish?: (length: number) => void;
  /** Aborted when the client goes away. */
  abortSignal?: AbortSignal;
  /**
   * Whether the response keeps the chunks it streamed, to return them in
   * `InternalResult.body` as well. Defaults to `true`.
   */
  retainChunks?: boolean;
}

export type WaitUntil = (promise: Promise<void>) => void;

export type BaseOverride = {
  name: string;
};

export type LazyLoadedOverride<T extends BaseOverride> = () => T | Promise<T>;

export type OpenNextHandlerOptions = {
  streamCreator?: StreamCreator;
  waitUntil?: WaitUntil;
};

export type OpenNextHandler<E extends BaseEventOrResult = InternalEvent, R extends BaseEventOrResult = InternalResult> = (
  event: E,
  options?: OpenNextHandlerOptions,
) => Promise<R>;

/** Extra information a wrapper gets besides the handler and the converter. */
export type WrapperOptions = {
  /** The name of the server function (`default`, or a split function's key). */
  functionName: string;
};

export type WrapperHandler<E extends BaseEventOrResult = InternalEvent, R extends BaseEventOrResult = InternalResult> = (
  handler: OpenNextHandler<E, R>,
  converter: Converter<E, R>,
  options?: WrapperOptions,
) => Promise<(...args: any[]) => any>;

export type Wrapper<E extends BaseEventOrResult = InternalEvent, R extends BaseEventOrResult = InternalResult> = BaseOverride & {
  wrapper: WrapperHandler<E, R>;
  supportStreaming: boolean;
  edgeRuntime?: boolean;
};

export type Converter<E extends BaseEventOrResult = InternalEvent, R extends BaseEventOrResult = InternalResult> = BaseOverride & {
  convertFrom: (event: any) => Promise<E>;
  convertTo: (result: R, originalRequest?: any) => Promise<any>;
};

// ---------------------------------------------------------------------------
// Incremental cache
// ---------------------------------------------------------------------------

/** Next's `.meta` file, as written next to prerendered entries. */
export type Meta = {
  status?: number;
  headers?: Record<string, any>;
  postponed?: string;
  segmentPaths?: string[];
  [key: string]: unknown;
};

/** One `.cache` file of the incremental cache. */
export type CachedFile =
  | {
      type: "redirect";
      props?: object;
      meta?: Meta;
    }
  | {
      type: "page";
      html?: string;
      json: object;
      meta?: Meta;
    }
  | {
      type: "app";
      html?: string;
      rsc?: string;
      meta?: Meta;
      /** `<segmentPath>` → RSC text of the segment. */
      segmentData?: Record<string, string>;
    }
  | {
      type: "route";
      /** base64 when `meta.headers["content-type"]` is binary, utf-8 otherwise. */
      body: string;
      meta?: Meta;
    };

/** One fetch-cache file (Next's own format, copied verbatim by the build). */
export type CachedFetchValue = {
  kind: "FETCH";
  data: {
    headers: Record<string, string>;
    body: string;
    url: string;
    status?: number;
    tags?: string[];
  };
  tags?: string[];
  revalidate?: number | false;
};

/**
 * One `'use cache'` entry (Next's `cacheHandlers`), stored as OpenNext stores
 * it: the entry's fields with the value as text. `encoding: "base64"` marks a
 * value that is not valid UTF-8 (OpenNext would store those lossily).
 */
export type StoredComposableEntry = {
  value: string;
  encoding?: "base64";
  tags: string[];
  stale: number;
  timestamp: number;
  expire: number;
  revalidate: number;
};

/** `cache`: pages and routes; `fetch`: Next's data cache; `composable`: `'use cache'`. */
export type CacheEntryType = "cache" | "fetch" | "composable";

export type CacheValue<T extends CacheEntryType> = (T extends "fetch"
  ? CachedFetchValue
  : T extends "composable"
    ? StoredComposableEntry
    : CachedFile) & {
  /** The revalidate time (seconds) the entry was written with, when known. */
  revalidate?: number | false;
};

export type WithLastModified<T> = {
  lastModified?: number;
  value?: T;
  /** When true, the tag cache is not consulted for this entry. */
  shouldBypassTagCache?: boolean;
};

export type IncrementalCache = BaseOverride & {
  get<T extends CacheEntryType = "cache">(key: string, cacheType?: T): Promise<WithLastModified<CacheValue<T>> | null>;
  set<T extends CacheEntryType = "cache">(key: string, value: CacheValue<T>, cacheType?: T): Promise<void>;
  delete(key: string): Promise<void>;
};

// ---------------------------------------------------------------------------
// Tag cache
// ---------------------------------------------------------------------------

export interface OriginalTagCacheWriteInput {
  tag: string;
  path: string;
  revalidatedAt?: number;
  /** ms since epoch after which the tag/path pair is stale (served, revalidated in the background). */
  stale?: number;
  /** ms since epoch after which the tag/path pair is expired (not served). */
  expire?: number;
}

/** Tag cache keyed by tag/path pairs (OpenNext's "original" mode). */
export type OriginalTagCache = BaseOverride & {
  mode?: "original";
  getByTag(tag: string): Promise<string[]>;
  getByPath(path: string): Promise<string[]>;
  /** Returns -1 when the path was revalidated (or expired) after `lastModified`. */
  getLastModified(path: string, lastModified?: number): Promise<number>;
  writeTags(tags: OriginalTagCacheWriteInput[]): Promise<void>;
  isStale?(path: string, lastModified?: number): Promise<boolean>;
};

export type NextModeTagCacheWriteInput = string | { tag: string; stale?: number; expire?: number };

/** Tag cache keyed by tag only (OpenNext's "nextMode"). */
export type NextModeTagCache = BaseOverride & {
  mode: "nextMode";
  getLastRevalidated(tags: string[]): Promise<number>;
  hasBeenRevalidated(tags: string[], lastModified?: number): Promise<boolean>;
  writeTags(tags: NextModeTagCacheWriteInput[]): Promise<void>;
  getPathsByTags?: (tags: string[]) => Promise<string[]>;
  isStale?(tags: string[], lastModified?: number): Promise<boolean>;
};

export type TagCache = OriginalTagCache | NextModeTagCache;

/**
 * What the initializer needs of a tag cache: a built-in module's `seeder`
 * export, which leaves the reading half out of `dynamodb-provider/`, or a whole
 * (custom) tag cache.
 */
export type TagSeeder = Pick<OriginalTagCache, "name" | "mode" | "writeTags"> | NextModeTagCache;

// ---------------------------------------------------------------------------
// Queue
// ---------------------------------------------------------------------------

export interface QueueMessage {
  MessageDeduplicationId: string;
  MessageBody: {
    host: string;
    url: string;
    lastModified: number;
    eTag: string;
  };
  MessageGroupId: string;
}

export interface Queue {
  send(message: QueueMessage): Promise<void>;
  name: string;
}

// ---------------------------------------------------------------------------
// Configuration (the subset the runtime reads)
// ---------------------------------------------------------------------------

export interface OverrideOptions {
  wrapper?: string | LazyLoadedOverride<Wrapper>;
  converter?: string | LazyLoadedOverride<Converter>;
  incrementalCache?: string | LazyLoadedOverride<IncrementalCache>;
  tagCache?: string | LazyLoadedOverride<TagCache>;
  queue?: string | LazyLoadedOverride<Queue>;
  proxyExternalRequest?: string | LazyLoadedOverride<ProxyExternalRequest>;
  [key: string]: unknown;
}

/** OpenNext's `routePreloadingBehavior`: when Next loads every route module. */
export type RoutePreloadingBehavior = "none" | "withWaitUntil" | "onWarmerEvent" | "onStart";

export interface FunctionOptions {
  override?: OverrideOptions;
  routePreloadingBehavior?: RoutePreloadingBehavior;
  [key: string]: unknown;
}

export interface DangerousOptions {
  disableTagCache?: boolean;
  disableIncrementalCache?: boolean;
  headersAndCookiesPriority?: (event: InternalEvent) => "middleware" | "handler";
  [key: string]: unknown;
}

export interface OpenNextConfig {
  default: FunctionOptions;
  functions?: Record<string, FunctionOptions & { patterns?: string[] }>;
  /** External middleware (`external: true`), with its own overrides and origin resolver. */
  middleware?: FunctionOptions & { external?: boolean; originResolver?: string | LazyLoadedOverride<OriginResolver> };
  dangerous?: DangerousOptions;
  [key: string]: unknown;
}

/**
 * Answers external rewrites (a rewrite whose destination is another origin):
 * sends the request there and returns the upstream response.
 */
export interface ProxyExternalRequest {
  name: string;
  proxy(event: InternalEvent): Promise<InternalResult>;
}

/** The overrides a server function is created with. */
export interface ServerFunctionOverrides {
  wrapper: Wrapper;
  converter: Converter;
  incrementalCache: IncrementalCache;
  tagCache: TagCache;
  queue: Queue;
  proxyExternalRequest: ProxyExternalRequest;
  cdnInvalidation: CDNInvalidationHandler;
}

// ---------------------------------------------------------------------------
// CDN invalidation
// ---------------------------------------------------------------------------

/** A page whose CDN copies are out of date (OpenNext's shape). */
export interface PathToInvalidate {
  /** The path the CDN serves, with the basePath. */
  initialPath: string;
  /** The page's path in the app, without the basePath. */
  rawPath: string;
  /** `app`: the RSC variants go too; `page`: the `_next/data` JSON goes too. */
  resolvedRoutes: Array<{ route: string; type: "app" | "page" | "route" }>;
}

/** Removes revalidated pages from the CDN (`cdnInvalidation`). */
export type CDNInvalidationHandler = BaseOverride & {
  invalidatePaths(paths: PathToInvalidate[]): Promise<void>;
};

// ---------------------------------------------------------------------------
// External middleware
// ---------------------------------------------------------------------------

/** A server origin external middleware can forward to (an entry of `OPEN_NEXT_ORIGIN`). */
export interface Origin {
  host: string;
  protocol: "http" | "https";
  port?: number;
  customHeaders?: Record<string, string>;
}

/** Picks the origin a request goes to after external middleware routed it. */
export interface OriginResolver {
  name: string;
  /** `false`: keep the origin the CDN had chosen. */
  resolve(path: string): Promise<Origin | false>;
}

/**
 * What external middleware returns when the request goes on to an origin
 * (OpenNext's `MiddlewareResult`): the request to forward and where to.
 */
export interface MiddlewareResult {
  type: "middleware";
  internalEvent: InternalEvent;
  isExternalRewrite: boolean;
  origin: Origin | false;
}

/** The overrides an external middleware function is created with. */
export interface MiddlewareFunctionOverrides {
  wrapper: Wrapper<InternalEvent, InternalResult | MiddlewareResult>;
  converter: Converter<InternalEvent, InternalResult | MiddlewareResult>;
  originResolver: OriginResolver;
  proxyExternalRequest: ProxyExternalRequest;
}

// ---------------------------------------------------------------------------
// Warmer
// ---------------------------------------------------------------------------

/** Invokes the server functions to keep instances warm (`warmer.invokeFunction`). */
export interface Warmer {
  name: string;
  /** OpenNext's resolve to nothing; the built-in one says what it warmed, per function. */
  invoke(warmerId: string): Promise<void | Record<string, { sent: number; answered: number; instances: number }>>;
}

/** What an image loader returns for a local image `url` (OpenNext's shape). */
export interface ImageLoaderResult {
  body?: import("node:stream").Readable | ReadableStream<Uint8Array> | Buffer | Uint8Array;
  contentType?: string;
  cacheControl?: string;
}

/**
 * Where the image function reads local images (`imageOptimization.loader`):
 * `load` gets the image's path (`/img/a.png`, with the basePath) and resolves
 * with its bytes, or rejects; an error with `status: 404` is a missing image.
 */
export type ImageLoader = BaseOverride & {
  load(url: string): Promise<ImageLoaderResult>;
};
