/**
 * Entry of the external middleware bundle (`.open-next/middleware/handler.mjs`,
 * `middleware: { external: true }`), for CloudFront / Lambda@Edge.
 *
 * Each request is routed here with the same Rust router and routing table
 * as the server function, and the app's edge middleware runs here (see
 * `edge-runtime.ts`). Then:
 * - a response of middleware's own, a redirect, or an external rewrite
 *   (fetched by the `proxyExternalRequest` override) is answered at the edge;
 * - anything else goes on to the origin the `originResolver` picks, with the
 *   request headers middleware left and the routing decision, signed, in
 *   `x-opennext-route` (see `routing/route-header.ts`): the server function
 *   renders it without routing again.
 * An answer larger than the platform takes from the function (`maxResponseBytes`),
 * or a request whose body the platform truncated, goes on to the origin unrouted:
 * the server function routes it, and runs middleware, itself.
 */
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { InternalResponse } from "../http/response.ts";
import { type Decided, decide, type MiddlewareRunner, type RequestHeaders } from "../routing/decide.ts";
import {
  externalEvent,
  fromWebStream,
  paramsDecode,
  pipeBody,
  redirectHeaders,
  redirectOf,
  repeatedSlashRedirect,
  setHeaders,
} from "../routing/dispatch.ts";
import { isInternalHeader, stripInternalHeaders } from "../routing/internal-headers.ts";
import { readMiddlewareResponse } from "../routing/middleware.ts";
import { routeHeaders } from "../routing/route-header.ts";
import { loadRouter } from "../routing/router.ts";
import type {
  Converter,
  InternalEvent,
  InternalResult,
  MiddlewareFunctionOverrides,
  MiddlewareResult,
  OriginResolver,
  ProxyExternalRequest,
  Wrapper,
} from "../types/overrides.ts";
import { loadConfig, pick } from "../utils/config.ts";
import { debug, error } from "../utils/logger.ts";
import { type EdgeNextConfig, loadEdgeMiddleware } from "./edge-runtime.ts";
import { readAll } from "../utils/read-all.ts";

export interface MiddlewareFunctionOptions {
  /** The built-in overrides the build selected. */
  overrides: MiddlewareFunctionOverrides;
  /** Signs the routing decisions sent to the origin (the build generates it). */
  routeKey: string;
}

/** `middleware.json`, written by the build next to the bundle. */
interface MiddlewareMeta {
  buildId: string;
  previewModeId?: string;
  nextConfig: EdgeNextConfig;
}

type Handler = (event: InternalEvent) => Promise<InternalResult | MiddlewareResult>;

const dir = path.dirname(fileURLToPath(import.meta.url));

/**
 * The URL as middleware's `request.url` shows it: Next's `NextURL` writes loopback
 * hosts (`127.x.x.x`, `[::1]`) as `localhost`, so URLs middleware builds from it
 * are on that origin.
 */
function asNextUrl(url: string): string {
  const u = new URL(url);
  if (/^(127(\.\d{1,3}){3}|\[::1\])$/.test(u.hostname)) u.hostname = "localhost";
  return u.toString();
}

/** A response answered at the edge. */
async function respond(status: number, headers: [string, string][], body?: Readable | string) {
  const res = new InternalResponse({});
  res.statusCode = status;
  setHeaders(res, headers);
  if (typeof body === "string") res.end(body);
  else await pipeBody(body, res);
  await res.done();
  return res.toInternalResult();
}

/**
 * `result` with its body read into memory, and its size as the platform counts
 * it: header names and values, and the body as it is sent (base64 when binary).
 */
async function measured(result: InternalResult): Promise<{ result: InternalResult; bytes: number }> {
  const data = await readAll(result.body);
  let bytes = result.isBase64Encoded ? Math.ceil(data.length / 3) * 4 : data.length;
  for (const [k, v] of Object.entries(result.headers)) for (const x of [v].flat()) bytes += k.length + String(x).length;
  return { result: { ...result, body: Readable.from([data]) }, bytes };
}

function createHandler(meta: MiddlewareMeta, routeKey: string, resolver: OriginResolver, proxy: ProxyExternalRequest): Handler {
  const router = loadRouter(dir);
  if (!router) throw new Error(`open-next: the middleware function has no routing.json in ${dir}; rebuild with open-next build`);
  const edge = loadEdgeMiddleware(dir, meta.nextConfig);
  /**
   * The request, unchanged, to the origin, which routes it (and runs middleware)
   * itself: for what the edge cannot answer.
   */
  const toOrigin = async (event: InternalEvent, why: string): Promise<MiddlewareResult> => {
    debug("edge: on to the origin unrouted,", why);
    const headers = Object.fromEntries(Object.entries(event.headers).filter(([k]) => !k.startsWith("x-opennext-")));
    return {
      type: "middleware",
      internalEvent: { ...event, headers },
      isExternalRewrite: false,
      origin: await resolver.resolve(event.rawPath),
    };
  };

  const route = routeAtTheEdge(meta, routeKey, resolver, proxy, router, edge);
  return async (event) => {
    if (event.bodyTruncated) {
      // Middleware would read a cut body: the origin gets the whole one.
      return toOrigin(event, `${event.method} ${event.url}: the platform truncated the body`);
    }
    const answer = await route(event);
    if (answer.type === "middleware" || event.maxResponseBytes === undefined) return answer;
    const { result, bytes } = await measured(answer);
    if (bytes <= event.maxResponseBytes) return result;
    return toOrigin(
      event,
      `${event.url}: the answer is ${bytes} bytes, over the ${event.maxResponseBytes} the platform takes from the function`,
    );
  };
}

/**
 * Routes one request at the edge: an answer of the edge's own, or the request on
 * to the origin with the routing decision, signed.
 */
function routeAtTheEdge(
  meta: MiddlewareMeta,
  routeKey: string,
  resolver: OriginResolver,
  proxy: ProxyExternalRequest,
  router: NonNullable<ReturnType<typeof loadRouter>>,
  edge: ReturnType<typeof loadEdgeMiddleware>,
): Handler {
  return async (event) => {
    let url: URL;
    try {
      url = new URL(event.url);
    } catch {
      return respond(400, [["content-type", "text/plain; charset=utf-8"]], "Bad Request");
    }
    const slashes = repeatedSlashRedirect(url);
    if (slashes) return respond(slashes.status, redirectHeaders(slashes), slashes.location);
    const headers: RequestHeaders = stripInternalHeaders(event.headers, meta.previewModeId);
    const run: MiddlewareRunner = async (call) => {
      // No middleware in the app, or an on-demand revalidation (Next skips middleware for those).
      const revalidate = meta.previewModeId && headers["x-prerender-revalidate"] === meta.previewModeId;
      if (!edge || revalidate) return { read: readMiddlewareResponse(200, [["x-middleware-next", "1"]], call.headers, call.url) };
      const response = await edge.run({ url: call.url, method: event.method, headers: call.headers, body: event.body });
      return { response, read: readMiddlewareResponse(response.status, response.headers, call.headers, call.url, asNextUrl(call.url)) };
    };
    let decided: Decided;
    try {
      decided = await decide(router, url, headers, run);
    } catch (e) {
      error("middleware failed for", event.method, event.url, e);
      return respond(500, [["content-type", "text/plain; charset=utf-8"]], "Internal Server Error");
    }
    if (decided.kind === "response") {
      return respond(decided.status, decided.headers, decided.body ? fromWebStream(decided.body) : undefined);
    }
    const d = decided.decision;
    debug("edge routing", url.pathname, d);
    // Route params that are not valid percent-encoding get the origin's 400 page.
    const decodable = paramsDecode(d);
    const redirect = decodable ? redirectOf(d, url) : undefined;
    if (redirect) {
      const pairs = [...(d.resolvedHeaders ?? []).filter(([k]) => k !== "location"), ...redirectHeaders(redirect)];
      return respond(redirect.status, pairs, redirect.location);
    }
    if (d.externalRewrite && decodable) {
      try {
        const upstream = await proxy.proxy(externalEvent(event, url, decided.headers, d.externalRewrite));
        const pairs: [string, string][] = [...(d.resolvedHeaders ?? [])];
        for (const [k, v] of Object.entries(upstream.headers)) for (const x of Array.isArray(v) ? v : [v]) pairs.push([k, x]);
        return respond(upstream.statusCode, pairs, upstream.body);
      } catch (e) {
        error("external rewrite to", d.externalRewrite, "failed", e);
        return respond(500, [], "");
      }
    }
    // On to the origin: plain headers as they are, internal ones (e.g. the cookies
    // middleware set for the page) inside the signed decision.
    const plain: Record<string, string> = {};
    const internal: RequestHeaders = {};
    for (const [k, v] of Object.entries(decided.headers)) {
      if (isInternalHeader(k)) internal[k] = v;
      else plain[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    Object.assign(plain, routeHeaders(routeKey, { url: url.toString(), decision: d, internalHeaders: internal }));
    const origin = await resolver.resolve(d.resolvedPathname ?? url.pathname);
    return { type: "middleware", internalEvent: { ...event, headers: plain }, isExternalRewrite: false, origin };
  };
}

async function initialise({ overrides, routeKey }: MiddlewareFunctionOptions) {
  const config = await loadConfig();
  (globalThis as Record<string, unknown>).openNextConfig = config;
  const o = config.middleware?.override ?? {};
  const wrapper = await pick<MiddlewareFunctionOverrides["wrapper"]>(o.wrapper, overrides.wrapper);
  const converter = await pick<MiddlewareFunctionOverrides["converter"]>(o.converter, overrides.converter);
  const resolver = await pick<OriginResolver>(config.middleware?.originResolver, overrides.originResolver);
  const proxy = await pick<ProxyExternalRequest>(o.proxyExternalRequest, overrides.proxyExternalRequest);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "middleware.json"), "utf8")) as MiddlewareMeta;
  process.env.NEXT_BUILD_ID = meta.buildId;
  debug("middleware overrides", { wrapper: wrapper.name, converter: converter.name, originResolver: resolver.name, proxy: proxy.name });
  const handler = createHandler(meta, routeKey, resolver, proxy);
  return (wrapper as Wrapper<any, any>).wrapper(handler as any, converter as Converter<any, any>, { functionName: "middleware" });
}

/** Creates the external middleware's Lambda handler (`handler.handler`). */
export function createMiddlewareFunction(options: MiddlewareFunctionOptions): (...args: any[]) => Promise<any> {
  const ready = initialise(options);
  ready.catch((e) => error("the middleware function failed to start", e));
  return async (...args: any[]) => (await ready)(...args);
}
