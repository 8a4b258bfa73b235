/**
 * Configuration types of open-next-rs. They keep OpenNext's option names and
 * shapes so an existing `open-next.config.ts` works unchanged.
 */

/** A lazily loaded custom override: a function returning a Promise of it. */
export type LazyLoadedOverride<T> = () => Promise<T>;

/** Request event every converter produces and the handler consumes. */
export interface InternalEvent {
  readonly type: "core";
  readonly method: string;
  readonly rawPath: string;
  readonly url: string;
  readonly body?: Buffer;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  readonly cookies: Record<string, string>;
  readonly remoteAddress: string;
}

/** Response the handler produces and converters turn into a platform response. */
export interface InternalResult {
  readonly type: "core";
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: NodeJS.ReadableStream;
  isBase64Encoded: boolean;
}

/** Anything an override has in common. */
export interface BaseOverride {
  /** Name reported in open-next.output.json. */
  name: string;
}

/** Turns platform events into {@link InternalEvent}s and results back. */
export interface Converter<E = any, R = any> extends BaseOverride {
  convertFrom(event: E): Promise<InternalEvent>;
  convertTo(result: InternalResult, originalRequest?: any): Promise<R> | R;
}

/** Receives platform invocations and calls the handler. */
export interface Wrapper extends BaseOverride {
  wrapper: (handler: any, converter: Converter) => Promise<(...args: any[]) => any>;
  supportStreaming: boolean;
  edgeRuntime?: boolean;
}

/** Stores ISR/SSG/fetch cache entries. */
export interface IncrementalCache extends BaseOverride {
  get(key: string, cacheType?: "cache" | "fetch" | "composable"): Promise<{ value: any; lastModified?: number } | null>;
  set(key: string, value: any, cacheType?: "cache" | "fetch" | "composable"): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Maps tags to paths and records revalidation times. */
export interface TagCache extends BaseOverride {
  mode?: "original" | "nextMode";
  getByTag?(tag: string): Promise<string[]>;
  getByPath?(path: string): Promise<string[]>;
  getLastModified?(path: string, lastModified?: number): Promise<number>;
  getLastRevalidated?(tags: string[]): Promise<number>;
  hasBeenRevalidated?(tags: string[], lastModified?: number): Promise<boolean>;
  writeTags(tags: any[]): Promise<void>;
}

/** Sends stale-while-revalidate messages. */
export interface Queue extends BaseOverride {
  send(message: {
    MessageBody: { host: string; url: string; eTag?: string; lastModified?: number };
    MessageDeduplicationId: string;
    MessageGroupId: string;
  }): Promise<void>;
}

/** Loads source images for the image optimization function. */
export interface ImageLoader extends BaseOverride {
  load(url: string): Promise<{ body?: NodeJS.ReadableStream; contentType?: string; cacheControl?: string }>;
}

/** Picks the origin external middleware forwards to. */
export interface OriginResolver extends BaseOverride {
  resolve(
    path: string,
  ): Promise<{ host: string; protocol: "http" | "https"; port?: number; customHeaders?: Record<string, string> } | false>;
}

/** Invokes server functions to keep them warm. */
export interface Warmer extends BaseOverride {
  invoke(warmerId: string): Promise<void>;
}

/** Proxies external rewrites. */
export interface ProxyExternalRequest extends BaseOverride {
  proxy(event: InternalEvent): Promise<InternalResult>;
}

/** Invalidates CDN paths after on-demand revalidation. */
export interface CDNInvalidationHandler extends BaseOverride {
  invalidatePaths(paths: { initialPath: string; rawPath: string; resolvedRoutes: any[] }[]): Promise<void>;
}

/** Resolves assets for platforms that serve them from the function. */
export interface AssetResolver extends BaseOverride {
  maybeGetAssetResult?(event: InternalEvent): Promise<InternalResult | undefined> | InternalResult | undefined;
}

/** Built-in wrapper names. */
export type IncludedWrapper =
  | "aws-lambda"
  | "aws-lambda-streaming"
  | "aws-lambda-compressed"
  | "aws-apigw-streaming"
  | "cloudflare"
  | "cloudflare-edge"
  | "cloudflare-node"
  | "node"
  | "express-dev"
  | "dummy";
/** Built-in converter names. */
export type IncludedConverter = "aws-apigw-v2" | "aws-apigw-v1" | "aws-cloudfront" | "edge" | "node" | "sqs-revalidate" | "dummy";
/** Built-in incremental cache names. */
export type IncludedIncrementalCache = "s3" | "s3-lite" | "multi-tier-ddb-s3" | "fs-dev" | "dummy";
/** Built-in tag cache names. */
export type IncludedTagCache = "dynamodb" | "dynamodb-lite" | "dynamodb-nextMode" | "fs-dev" | "fs-dev-nextMode" | "dummy";
/** Built-in queue names. */
export type IncludedQueue = "sqs" | "sqs-lite" | "direct" | "dummy";
/** Built-in image loader names. */
export type IncludedImageLoader = "s3" | "s3-lite" | "host" | "fs-dev" | "dummy";
/** Built-in origin resolver names. */
export type IncludedOriginResolver = "pattern-env" | "dummy";
/** Built-in warmer names. */
export type IncludedWarmer = "aws-lambda" | "dummy";
/** Built-in external request proxies. */
export type IncludedProxyExternalRequest = "node" | "fetch" | "dummy";
/** Built-in CDN invalidation handlers. */
export type IncludedCDNInvalidationHandler = "cloudfront" | "dummy";

/** Wrapper and converter of a function. */
export interface DefaultOverrideOptions {
  wrapper?: IncludedWrapper | LazyLoadedOverride<Wrapper>;
  converter?: IncludedConverter | LazyLoadedOverride<Converter>;
  /** Generate a Dockerfile and an `ecs` origin instead of a Lambda function. */
  generateDockerfile?: boolean;
}

/** Overrides of a server function. */
export interface OverrideOptions extends DefaultOverrideOptions {
  incrementalCache?: IncludedIncrementalCache | LazyLoadedOverride<IncrementalCache>;
  tagCache?: IncludedTagCache | LazyLoadedOverride<TagCache>;
  queue?: IncludedQueue | LazyLoadedOverride<Queue>;
  proxyExternalRequest?: IncludedProxyExternalRequest | LazyLoadedOverride<ProxyExternalRequest>;
  cdnInvalidation?: IncludedCDNInvalidationHandler | LazyLoadedOverride<CDNInvalidationHandler>;
}

/** Options shared by every function. */
export interface DefaultFunctionOptions<O extends DefaultOverrideOptions = DefaultOverrideOptions> {
  /** Minify the function's bundle. */
  minify?: boolean;
  /** Overrides. */
  override?: O;
  /** Extra packages to install into the function. */
  install?: { packages: string[]; arch?: "x64" | "arm64"; nodeVersion?: string; libc?: "glibc" | "musl"; additionalArgs?: string };
}

/** Options of a server function. */
export interface FunctionOptions extends DefaultFunctionOptions<OverrideOptions> {
  /** Runtime of the function. */
  runtime?: "node" | "edge" | "deno";
  /** Regional (Lambda) or global (Lambda@Edge). */
  placement?: "regional" | "global";
  /** Which routes are preloaded at cold start. */
  routePreloadingBehavior?: "none" | "withWaitUntil" | "onWarmerEvent" | "onStart";
}

/** A split function: its routes and CloudFront patterns. */
export interface SplittedFunctionOptions extends FunctionOptions {
  /** Routes, e.g. `app/api/hello/route` or `pages/api/hello`. */
  routes: string[];
  /** CloudFront path patterns served by this function. */
  patterns: string[];
}

/** The `open-next.config.ts` default export. */
export interface OpenNextConfig {
  /** The default server function. */
  default: FunctionOptions;
  /** Split server functions. */
  functions?: Record<string, SplittedFunctionOptions>;
  /** External middleware. */
  middleware?: DefaultFunctionOptions & { external: true; originResolver?: IncludedOriginResolver | LazyLoadedOverride<OriginResolver> };
  /** Warmer function. */
  warmer?: DefaultFunctionOptions & { invokeFunction?: IncludedWarmer | LazyLoadedOverride<Warmer> };
  /** Revalidation function. */
  revalidate?: DefaultFunctionOptions;
  /** Image optimization function. */
  imageOptimization?: DefaultFunctionOptions & {
    loader?: IncludedImageLoader | LazyLoadedOverride<ImageLoader>;
    install?: DefaultFunctionOptions["install"];
  };
  /** DynamoDB tag seeding function. */
  initializationFunction?: DefaultFunctionOptions & { tagCache?: IncludedTagCache | LazyLoadedOverride<TagCache> };
  /** Dangerous options. */
  dangerous?: {
    disableTagCache?: boolean;
    disableIncrementalCache?: boolean;
    enableCacheInterception?: boolean;
    headersAndCookiesPriority?: (event: InternalEvent) => "middleware" | "handler";
    middlewareHeadersOverrideNextConfigHeaders?: boolean;
  };
  /** Command that builds the Next app; default `<package manager> run build`. */
  buildCommand?: string;
  /** Path of the Next app, relative to where `open-next build` runs. */
  appPath?: string;
  /** Where `.open-next/` is written, relative to where `open-next build` runs. */
  buildOutputPath?: string;
  /** Path of the package.json to read, relative to where `open-next build` runs. */
  packageJsonPath?: string;
  /** Packages left external in edge bundles. */
  edgeExternals?: string[];
}
