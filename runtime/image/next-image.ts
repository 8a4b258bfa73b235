/**
 * `/_next/image` for the self-hosted server function and the image function,
 * answered by the app's own Next image optimizer (`next/dist/server/image-optimizer`): its validation and
 * messages, upstream fetches (remote ones with Next's redirect and local-IP
 * checks), format negotiation, fallbacks, `Cache-Control`, `Vary`, ETag and 304,
 * `Content-Disposition` and CSP, for the installed version. Only the pixel work
 * is ours: the `sharp-to-rust` patch hands it to the Rust stage (`sharp.ts`).
 *
 * A local `url` is fetched by the caller's `fetchLocal` (the server's own
 * routing, without the request's cookies, as Next's router fetches it; the
 * image function's loader) and judged by Next's `fetchInternalImage`.
 *
 * With `distDir` (a self-hosted server function) results go through Next's own
 * response cache and `ImageOptimizerCache` (`<distDir>/cache/images`), as `next
 * start` serves them: `X-Nextjs-Cache` MISS/HIT/STALE, `minimumCacheTTL`, the
 * upstream's max-age, a stale entry answered while it is optimized again. The image
 * function (Lambda: no lasting disk) answers MISS and leaves caching to the CDN,
 * by `Cache-Control`, as OpenNext's does.
 */
import type { NextConfig } from "../types/next.ts";
import { debug, error } from "../utils/logger.ts";
import { versionAtLeast } from "../utils/semver.ts";

/** The headers of OpenNext's image function on a failed answer: clients may retry after a minute. */
export const IMAGE_FUNCTION_FAILURE_HEADERS: Record<string, string> = { Vary: "Accept", "Cache-Control": "public,max-age=60,immutable" };

/** A failed answer: `status`, `message` as the body, and `headers` when given. */
export function sendFailure(res: ImageResponse, status: number, message: string, headers?: Record<string, string>): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
  res.end(message);
}

/** A local upstream as the server answered it. */
export interface LocalAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The request, as far as the optimizer reads it. */
export interface ImageRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[]>;
}

/** What the handler writes to (an `InternalResponse` or a `ServerResponse`). */
export interface ImageResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
  end(body?: Buffer | string): unknown;
}

interface ImageOptimizerModule {
  ImageOptimizerCache: {
    new (o: { distDir: string; nextConfig: unknown }): unknown;
    validateParams(req: unknown, query: unknown, config: unknown, isDev: boolean): any;
    getCacheKey(params: unknown): string;
  };
  /** Takes next.config; from 16.5 the options `getImageOptimizerTransformOptions` makes of it. */
  imageOptimizer(upstream: unknown, params: unknown, config: unknown, opts: unknown): Promise<any>;
  /** Next 16.5+. */
  getImageOptimizerTransformOptions?(config: unknown): unknown;
  fetchExternalImage(href: string, ...rest: unknown[]): Promise<any>;
  fetchInternalImage(href: string, ...rest: unknown[]): Promise<any>;
  sendResponse(...args: unknown[]): void;
  ImageError: new (status: number, message: string) => Error & { statusCode: number };
}

function queryOf(url: URL): Record<string, string | string[]> {
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = q[k];
    q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return q;
}

export interface NextImageOptions {
  /** `require` from the function (resolves its `next`). */
  requireFromFn: NodeRequire;
  /** Next's serialized config (`required-server-files.json#config`). */
  config: NextConfig;
  /** The installed Next.js version (how its optimizer's functions are called). */
  nextVersion: string;
  /** `.next/` of a self-hosted function: optimized images are cached under it as `next start` caches them. */
  distDir?: string;
  /** Headers of every failed answer (the image function's: OpenNext's one-minute retry). */
  failureHeaders?: Record<string, string>;
}

/** Next's response cache of optimized images, over its `ImageOptimizerCache`. */
interface ImageResponseCache {
  get(
    key: string,
    generate: (c: { previousCacheEntry?: unknown }) => Promise<unknown>,
    o: { routeKind: string; incrementalCache: unknown; isFallback: boolean },
  ): Promise<{ value?: any; isMiss?: boolean; isStale?: boolean; cacheControl?: { revalidate?: number } } | null>;
}

/** What one request's handling needs from the server. */
export interface ImageContext {
  /** Fetches a local `url` through the server's routing (GET, no cookies). */
  fetchLocal(href: string): Promise<LocalAnswer>;
  /** Answers 404 as the server does (a non-default loader or `unoptimized`). */
  notFound(): Promise<void>;
}

/** The `/_next/image` handler. */
export function createNextImageHandler(o: NextImageOptions) {
  let io: ImageOptimizerModule | undefined;
  const images = (o.config as { images?: Record<string, any> }).images ?? {};
  const config = o.config as Record<string, any>;

  async function upstreamOf(m: ImageOptimizerModule, params: any, ctx: ImageContext) {
    if (params.isAbsolute) {
      // As the installed version's own server calls it (the arguments changed in 15.5.10, 16.0 and 16.1.5).
      const v = o.nextVersion;
      if (versionAtLeast(v, "16.1.5")) {
        return m.fetchExternalImage(params.href, !!images.dangerouslyAllowLocalIP, images.maximumResponseBody, images.maximumRedirects);
      }
      if (versionAtLeast(v, "16.0.0")) return m.fetchExternalImage(params.href, !!images.dangerouslyAllowLocalIP);
      if (versionAtLeast(v, "15.5.10")) return m.fetchExternalImage(params.href, images.maximumResponseBody);
      return m.fetchExternalImage(params.href);
    }
    // Next's own fetchInternalImage, so a local answer is judged as the installed version judges
    // it (15.5 takes any status with a body; 16 wants a 2xx), with our routing (or the loader)
    // answering its mocked request.
    const handleRequest = async (
      _req: unknown,
      res: { statusCode: number; setHeader(k: string, v: unknown): void; end(b?: Buffer): void },
    ) => {
      const answer = await ctx.fetchLocal(params.href);
      res.statusCode = answer.status;
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined) res.setHeader(k, v);
      res.end(answer.body);
    };
    const from = { method: "GET", headers: {}, socket: undefined };
    const v = o.nextVersion;
    // 16.5 takes the images config (its response-body limit and redirect count) last.
    if (versionAtLeast(v, "16.5.0")) return m.fetchInternalImage(params.href, from, {}, handleRequest, images);
    const withMaxBody = (versionAtLeast(v, "15.5.16") && !versionAtLeast(v, "16.0.0")) || versionAtLeast(v, "16.2.5");
    return withMaxBody
      ? m.fetchInternalImage(params.href, from, {}, images.maximumResponseBody, handleRequest)
      : m.fetchInternalImage(params.href, from, {}, handleRequest);
  }

  let disk: { responses: ImageResponseCache; images: unknown; imageKind: string; routeKind: string } | undefined;
  /** Next's image response cache and disk cache, made once. */
  function diskCache(m: ImageOptimizerModule, distDir: string) {
    if (!disk) {
      const rc = o.requireFromFn("next/dist/server/response-cache/index.js") as { default: new (o: object) => ImageResponseCache };
      const types = o.requireFromFn("next/dist/server/response-cache/types.js") as { CachedRouteKind: { IMAGE: string } };
      const kinds = o.requireFromFn("next/dist/server/route-kind.js") as { RouteKind: { IMAGE: string } };
      disk = {
        responses: new rc.default({ minimalMode: false, route: "image" }),
        images: new m.ImageOptimizerCache({ distDir, nextConfig: config }),
        imageKind: types.CachedRouteKind.IMAGE,
        routeKind: kinds.RouteKind.IMAGE,
      };
    }
    return disk;
  }

  return async (req: ImageRequest, res: ImageResponse, ctx: ImageContext): Promise<void> => {
    if ((images.loader ?? "default") !== "default" || images.unoptimized) return ctx.notFound();
    io ??= o.requireFromFn("next/dist/server/image-optimizer.js") as ImageOptimizerModule;
    const m = io;
    const params = m.ImageOptimizerCache.validateParams({ headers: req.headers }, queryOf(req.url), config, false);
    if ("errorMessage" in params) {
      return sendFailure(res, 400, params.errorMessage, o.failureHeaders);
    }
    const { getExtension } = o.requireFromFn("next/dist/server/serve-static.js") as { getExtension(t: string): string };
    const optimize = async (previousCacheEntry?: unknown) => {
      const upstream = await upstreamOf(m, params, ctx);
      const options = m.getImageOptimizerTransformOptions ? m.getImageOptimizerTransformOptions(config) : config;
      const result = await m.imageOptimizer(upstream, params, options, { isDev: false, previousCacheEntry });
      if (result.error)
        error("the image stage could not optimize", params.href, "- serving the original:", result.error?.message ?? result.error);
      debug("image", params.href, params.width, params.quality, "→", result.contentType, result.buffer.length);
      return result;
    };
    try {
      let answer: { buffer: Buffer; etag: string; extension: string; maxAge: number; cache: "MISS" | "HIT" | "STALE" };
      if (o.distDir) {
        const cache = diskCache(m, o.distDir);
        const entry = await cache.responses.get(
          m.ImageOptimizerCache.getCacheKey(params),
          async ({ previousCacheEntry }) => {
            const r = await optimize(previousCacheEntry);
            return {
              value: {
                kind: cache.imageKind,
                buffer: r.buffer,
                etag: r.etag,
                extension: getExtension(r.contentType),
                upstreamEtag: r.upstreamEtag,
              },
              cacheControl: { revalidate: r.maxAge, expire: undefined },
            };
          },
          { routeKind: cache.routeKind, incrementalCache: cache.images, isFallback: false },
        );
        if (entry && "error" in entry) throw (entry as { error: unknown }).error;
        if (entry?.value?.kind !== cache.imageKind) throw new Error("the image response cache gave no image");
        const v = entry.value;
        answer = {
          buffer: v.buffer,
          etag: v.etag,
          extension: v.extension,
          maxAge: entry.cacheControl?.revalidate || 0,
          cache: entry.isMiss ? "MISS" : entry.isStale ? "STALE" : "HIT",
        };
      } else {
        const r = await optimize();
        answer = { buffer: r.buffer, etag: r.etag, extension: getExtension(r.contentType), maxAge: r.maxAge, cache: "MISS" };
      }
      m.sendResponse(
        { method: req.method, headers: req.headers },
        res,
        params.href,
        answer.extension,
        answer.buffer,
        answer.etag,
        params.isStatic,
        answer.cache,
        images,
        answer.maxAge,
        false,
      );
    } catch (e: any) {
      if (e instanceof m.ImageError) {
        return sendFailure(res, e.statusCode, e.message, o.failureHeaders);
      }
      throw e;
    }
  };
}
