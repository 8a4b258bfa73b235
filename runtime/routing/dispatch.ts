/**
 * Routed request handling: the Rust router decides, Next's render server
 * renders. This is what Next's router server does inside `next start`
 * (redirects, static files, middleware, rewrites, the 404 page), with the
 * decision taken by our router instead of Next's JavaScript one.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import { requestForEvent } from "../http/request.ts";
import { InternalResponse } from "../http/response.ts";
import { createNextImageHandler, IMAGE_FUNCTION_FAILURE_HEADERS } from "../image/next-image.ts";
import type { RenderServer } from "../server/next-server.ts";
import type { NextFiles } from "../server/next-files.ts";
import type { InternalEvent, OpenNextConfig, ProxyExternalRequest } from "../types/overrides.ts";
import { withoutBasePath } from "../utils/base-path.ts";
import { debug, error } from "../utils/logger.ts";
import { decide, type MiddlewareRun, type RequestHeaders, type ResponseLike, type Router } from "./decide.ts";
import { readMiddlewareResponse, relativeUrl } from "./middleware.ts";
import type { HeaderPairs, RouteDecision } from "./router.ts";

/** The request headers that make Next answer with (or validate) an RSC payload. */
const RSC_REQUEST_HEADERS = new Set(["rsc", "next-router-prefetch", "next-router-segment-prefetch", "next-router-state-tree", "next-url"]);

export type { RequestHeaders } from "./decide.ts";

export interface DispatchOptions {
  router: Router;
  server: RenderServer;
  files: NextFiles;
  /** Answers external rewrites. */
  proxy: ProxyExternalRequest;
}

/** One request to route and answer. */
export interface DispatchInput {
  event: InternalEvent;
  /** The request URL as received (absolute). */
  url: URL;
  /** Request headers, already cleaned of internal ones. */
  headers: RequestHeaders;
  res: InternalResponse;
  /**
   * Routing already done by external middleware (a verified `x-opennext-route`):
   * its decision, and the request headers middleware left.
   */
  preRouted?: { decision: RouteDecision; headers: RequestHeaders };
}

/** Sec-Fetch-Dest values of subresources that never render HTML (plain 404s for them, as Next does). */
const NON_HTML_DESTS = new Set(
  "audio audioworklet font image json manifest paintworklet report script serviceworker sharedworker style track video webidentity worker xslt".split(
    " ",
  ),
);

export function queryObject(search: URLSearchParams): Record<string, string | string[]> {
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of search) {
    const prev = q[k];
    q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return q;
}

/** Sets response headers from pairs (`set-cookie` values add up). */
export function setHeaders(res: InternalResponse, pairs: HeaderPairs): void {
  for (const [k, v] of pairs) {
    if (k === "set-cookie") res.appendHeader(k, v);
    else res.setHeader(k, v);
  }
}

/** A Node stream over a web `ReadableStream` (of any realm: edge middleware has its own). */
export function fromWebStream(body: ReadableStream<Uint8Array>): Readable {
  const reader = body.getReader();
  return Readable.from(
    (async function* () {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield typeof value === "string" ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    })(),
  );
}

/** Streams a body into the response and ends it. */
export function pipeBody(body: Readable | undefined, res: InternalResponse): Promise<void> {
  if (!body) {
    res.end();
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    body.on("error", reject).pipe(res).on("finish", resolve).on("error", reject);
  });
}

/**
 * A redirect Location with its query written as `next start` writes it
 * (`querystring.stringify` with `encodeURIComponent`: a space is `%20`, not `+`).
 */
export function nextQueryEncoding(location: string): string {
  const q = location.indexOf("?");
  if (q < 0) return location;
  const hash = location.indexOf("#", q);
  const search = location.slice(q + 1, hash < 0 ? undefined : hash);
  const pairs = [...new URLSearchParams(search)].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return `${location.slice(0, q)}${pairs.length ? `?${pairs.join("&")}` : ""}${hash < 0 ? "" : location.slice(hash)}`;
}

/** The redirect a decision asks for (a redirect route, or a header route that set `Location` with a 3xx status). */
export function redirectOf(d: RouteDecision, url: URL): { status: number; location: string } | undefined {
  if (d.redirect) return { status: d.redirect.status, location: relativeUrl(d.redirect.url, url.toString()) };
  if (!d.status || d.status < 300 || d.status >= 400) return undefined;
  let location: string | undefined;
  for (const [k, v] of d.resolvedHeaders ?? []) if (k.toLowerCase() === "location") location = v;
  return location === undefined ? undefined : { status: d.status, location: nextQueryEncoding(location) };
}

/**
 * A path with a backslash or repeated slashes: `next start`'s router server
 * answers 308 to the path with them collapsed (query kept) before any routing,
 * so none of next.config's headers go on it.
 */
export function repeatedSlashRedirect(url: URL): { status: number; location: string } | undefined {
  if (!/(\\|\/\/)/.test(url.pathname)) return undefined;
  return { status: 308, location: url.pathname.replace(/\\/g, "/").replace(/\/\/+/g, "/") + url.search };
}

/** The headers a redirect answer carries: `Location`, and `Refresh` on a 308 (as `next start`). */
export function redirectHeaders(redirect: { status: number; location: string }): HeaderPairs {
  const out: HeaderPairs = [["location", redirect.location]];
  if (redirect.status === 308) out.push(["refresh", `0;url=${redirect.location}`]);
  return out;
}

/** Whether every route param is valid percent-encoding (`next start` answers 400 otherwise). */
export function paramsDecode(d: RouteDecision): boolean {
  for (const v of Object.values(d.routeMatches ?? {})) {
    try {
      decodeURIComponent(v);
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The request an external rewrite sends upstream. `next start` keeps the request's
 * query on external rewrites (destination values win); @next/routing's result
 * drops it, so it is merged back here.
 */
export function externalEvent(event: InternalEvent, url: URL, headers: RequestHeaders, target: string): InternalEvent {
  const upstream = new URL(target);
  const own = new Set(upstream.searchParams.keys());
  for (const [k, v] of url.searchParams) if (!own.has(k)) upstream.searchParams.append(k, v);
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) flat[k] = Array.isArray(v) ? v.join(", ") : v;
  flat.host = upstream.host;
  return {
    ...event,
    type: "core",
    url: upstream.toString(),
    rawPath: upstream.pathname,
    headers: flat,
    query: queryObject(upstream.searchParams),
  };
}

function end(res: InternalResponse, status: number, body: string, contentType?: string): void {
  res.statusCode = status;
  if (contentType) res.setHeader("content-type", contentType);
  res.end(body);
}

export function createRoutedDispatch({ router, server, files, proxy }: DispatchOptions): (input: DispatchInput) => Promise<void> {
  const basePath = files.config.basePath ?? "";
  // Next's router server looks `/_not-found` up without the basePath, so with a
  // basePath it never finds it and renders `/404` (which Next maps to the app's page).
  const appNotFound = files.hasAppNotFound && !basePath;
  const dataPrefix = `${basePath}/_next/data/${files.buildId}/`;
  const locales = files.config.i18n?.locales ?? [];
  const publicDir = path.join(files.functionDir, "public");
  const staticDir = path.join(files.distDir, "static");
  const hasPublic = fs.existsSync(publicDir);
  const requireFromFn = createRequire(path.join(files.functionDir, "index.mjs"));
  let serveStatic: ((req: unknown, res: unknown, file: string, opts: object) => Promise<void>) | undefined;

  /** `<basePath>/<locale>/a` → `/a`. */
  const pagePath = (p: string): string => {
    let out = withoutBasePath(p, basePath);
    const first = out.split("/")[1]?.toLowerCase();
    const locale = locales.find((l) => l.toLowerCase() === first);
    if (locale) out = out.slice(locale.length + 1) || "/";
    return out;
  };

  /** `<basePath>/NL-nl/a` → `<basePath>/nl-NL/a`: locales match case-insensitively, Next's pages by their own case. */
  const canonicalLocale = (p: string): string => {
    if (!locales.length) return p;
    const rest = basePath && p.startsWith(`${basePath}/`) ? p.slice(basePath.length) : p;
    const first = rest.split("/")[1] ?? "";
    const locale = locales.find((l) => l.toLowerCase() === first.toLowerCase());
    return locale && locale !== first ? `${p.slice(0, p.length - rest.length)}/${locale}${rest.slice(first.length + 1)}` : p;
  };

  /** Whether `page` (as Next names it) is a Pages Router API route. */
  const isPagesApi = (page: string): boolean => (page === "/api" || page.startsWith("/api/")) && files.pagesRoutes.has(page);
  /** A Pages route, or a path one of them prerendered (under any locale). */
  const isPagesOutput = (page: string): boolean => {
    if (files.pagesRoutes.has(page)) return true;
    const routes = files.prerenderManifest?.routes ?? {};
    const keys = [page, ...locales.map((l) => `/${l}${page === "/" ? "" : page}`)];
    return keys.some((k) => {
      const src = routes[k]?.srcRoute;
      return typeof src === "string" && files.pagesRoutes.has(src);
    });
  };

  /** `/_next/data/<id>/a/b.json` → `/a/b` (`index` → `/`). */
  const fromDataPath = (p: string): string => {
    let rest = p.slice(dataPrefix.length).replace(/\.json$/, "");
    if (rest === "index") return basePath || "/";
    const locale = locales.find((l) => rest === `${l}/index`);
    if (locale) rest = locale;
    return `${basePath}/${rest}`;
  };

  const makeRequest = requestForEvent;

  const baseMeta = (url: URL) => ({
    initURL: url.toString(),
    initQuery: queryObject(url.searchParams),
    initProtocol: url.protocol.replace(/:$/, ""),
  });

  async function render(input: DispatchInput, headers: RequestHeaders, meta: Record<string, unknown>): Promise<void> {
    const req = makeRequest(input.event, input.url, headers);
    try {
      await server.handlerWithMeta({ ...baseMeta(input.url), middlewareInvoke: false, ...meta })(req, input.res);
    } catch (e: any) {
      // A `fallback: false` route asked for a path it does not have: the router server
      // moves on to the next match, which here is the 404 page.
      if (e?.constructor?.name !== "NoFallbackError" || input.res.headersSent || meta.invokeStatus) throw e;
      await notFound(input, headers);
    }
  }

  async function notFound(input: DispatchInput, headers: RequestHeaders): Promise<void> {
    const { res, url, event } = input;
    const p = withoutBasePath(url.pathname, basePath);
    // With middleware, a `_next/data` request that ends on the pages router's `/404`
    // gets `{}` (the client router then does a hard navigation), as Next's router
    // server answers it; the app router's `/_not-found` is rendered as usual.
    if (files.hasMiddleware && !appNotFound && p.startsWith("/_next/data/") && p.endsWith(".json")) {
      res.setHeader("x-nextjs-matched-path", url.pathname);
      return end(res, 404, "{}", "application/json");
    }
    res.setHeader("cache-control", "private, no-cache, no-store, max-age=0, must-revalidate");
    if (p.startsWith("/_next/static/")) return end(res, 404, "Not Found", "text/plain; charset=utf-8");
    const dest = headers["sec-fetch-dest"];
    if ((event.method === "GET" || event.method === "HEAD") && typeof dest === "string" && NON_HTML_DESTS.has(dest)) {
      return end(res, 404, "Not Found", "text/plain; charset=utf-8");
    }
    res.statusCode = 404;
    const invokePath = appNotFound ? "/_not-found" : "/404";
    await render(input, headers, { invokePath, invokeQuery: queryObject(url.searchParams), invokeStatus: 404 });
  }

  /** A file `next start` would serve from `public/` or `.next/static/` (self-hosted functions ship them). */
  function staticFile(pathname: string): { root: string; file: string } | undefined {
    const p = pagePath(pathname);
    let decoded: string;
    try {
      decoded = decodeURIComponent(p);
    } catch {
      return undefined;
    }
    if (decoded.includes("\0") || decoded.split("/").includes("..")) return undefined;
    if (decoded.startsWith("/_next/static/")) {
      const file = decoded.slice("/_next/static".length);
      return fs.existsSync(path.join(staticDir, file)) ? { root: staticDir, file } : undefined;
    }
    if (hasPublic && fs.statSync(path.join(publicDir, decoded), { throwIfNoEntry: false })?.isFile()) {
      return { root: publicDir, file: decoded };
    }
    return undefined;
  }

  async function sendStatic(input: DispatchInput, headers: RequestHeaders, found: { root: string; file: string }) {
    const { res, event } = input;
    if (found.root === staticDir && !res.getHeader("cache-control")) {
      res.setHeader("cache-control", "public, max-age=31536000, immutable");
    }
    if (event.method !== "GET" && event.method !== "HEAD") {
      res.setHeader("allow", ["GET", "HEAD"]);
      res.statusCode = 405;
      return render(input, headers, { invokePath: "/405", invokeQuery: {}, invokeStatus: 405 });
    }
    serveStatic ??= (requireFromFn("next/dist/server/serve-static.js") as { serveStatic: typeof serveStatic }).serveStatic;
    const req = makeRequest(event, input.url, headers);
    await serveStatic?.(req, res, found.file, { root: found.root, etag: files.config.generateEtags !== false });
  }

  /** An external rewrite: the `proxyExternalRequest` override fetches it; a failure gets the 500 page. */
  async function proxyTo(input: DispatchInput, headers: RequestHeaders, target: string): Promise<void> {
    const { event, res } = input;
    let result: Awaited<ReturnType<ProxyExternalRequest["proxy"]>>;
    try {
      result = await proxy.proxy(externalEvent(event, input.url, headers, target));
    } catch (e) {
      error("external rewrite to", target, "failed", e);
      // The 500 page without the route's headers (`next start` sends an empty 500).
      // It is an HTML answer even to an RSC request: without the RSC headers, Next
      // neither renders a flight response nor redirects to add `_rsc`.
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.statusCode = 500;
      const html = Object.fromEntries(Object.entries(headers).filter(([k]) => !RSC_REQUEST_HEADERS.has(k)));
      return render(input, html, { invokePath: "/500", invokeQuery: {}, invokeStatus: 500 });
    }
    res.statusCode = result.statusCode;
    for (const [k, v] of Object.entries(result.headers)) {
      if (k === "set-cookie") for (const c of Array.isArray(v) ? v : [v]) res.appendHeader(k, c);
      else res.setHeader(k, v);
    }
    await pipeBody(result.body, res);
  }

  async function runMiddleware(input: DispatchInput, call: { url: string; headers: HeaderPairs }): Promise<MiddlewareRun> {
    const url = new URL(call.url);
    const headers: RequestHeaders = {};
    for (const [k, v] of call.headers) headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    const req = makeRequest(input.event, url, headers);
    const sink = new InternalResponse({});
    let response: ResponseLike | undefined;
    try {
      await server.handlerWithMeta({
        ...baseMeta(url),
        middlewareInvoke: true,
        invokePath: "",
        invokeOutput: "",
        invokeQuery: {},
      })(req, sink);
    } catch (e: any) {
      // Next hands the middleware's Response over as a thrown "bubbled" result. Edge
      // middleware runs in a sandbox realm, so the Response is not this realm's class.
      const r = e?.result?.response;
      if (!e?.bubble || typeof r?.status !== "number" || typeof r?.headers?.forEach !== "function") throw e;
      response = r;
    }
    if (!response && sink.statusCode >= 500) {
      // Middleware threw: Next logged it and rendered its error page into the sink, which
      // `next start` sends as the answer (a 500).
      await sink.done();
      const sent: [string, string][] = [];
      for (const [k, v] of Object.entries(sink.getSentHeaders())) {
        for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) sent.push([k, String(one)]);
      }
      response = new Response(new Uint8Array(sink.getBody()), { status: sink.statusCode, headers: sent });
    }
    // Next answers without a Response when its own matcher declines: continue.
    if (!response) return { read: readMiddlewareResponse(200, [["x-middleware-next", "1"]], call.headers, call.url) };
    const proto = String(headers["x-forwarded-proto"] ?? url.protocol).includes("https") ? "https" : "http";
    const seen = `${server.origin(proto)}${url.pathname}${url.search}`;
    return { response, read: readMiddlewareResponse(response.status, response.headers, call.headers, call.url, seen) };
  }

  const imagePath = `${basePath}/_next/image`;
  let image: ReturnType<typeof createNextImageHandler> | undefined;

  /** `/_next/image`: Next's optimizer, a local `url` fetched through this same dispatch (GET, no cookies). */
  function optimizeImage(input: DispatchInput, headers: RequestHeaders): Promise<void> {
    // Made on first use, once the function's config is loaded.
    const wrapper = (globalThis as { openNextConfig?: OpenNextConfig }).openNextConfig?.default?.override?.wrapper;
    image ??= createNextImageHandler({
      requireFromFn,
      config: files.config,
      nextVersion: files.nextVersion,
      // A self-hosted function (it ships `.next/static/`) caches optimized images on its disk as `next start` does.
      distDir: fs.existsSync(staticDir) ? files.distDir : undefined,
      // OpenNext's express-dev answers `/_next/image` with its image function: failed answers as that function's.
      failureHeaders: wrapper === "express-dev" ? IMAGE_FUNCTION_FAILURE_HEADERS : undefined,
    });
    return image({ method: input.event.method, url: input.url, headers }, input.res, {
      notFound: () => notFound(input, headers),
      fetchLocal: async (href) => {
        const sink = new InternalResponse({});
        await dispatch({
          event: { ...input.event, method: "GET", body: undefined },
          url: new URL(href, input.url),
          headers: {},
          res: sink,
        });
        await sink.done();
        return { status: sink.statusCode, headers: sink.getSentHeaders(), body: sink.getBody() };
      },
    });
  }

  const dispatch = async (input: DispatchInput): Promise<void> => {
    const { res, url } = input;
    const slashes = repeatedSlashRedirect(url);
    if (slashes) {
      for (const [k, v] of redirectHeaders(slashes)) res.setHeader(k, v);
      return end(res, slashes.status, slashes.location);
    }
    if (input.preRouted) {
      debug("routed by external middleware", url.pathname, input.preRouted.decision);
      return answer(input, input.preRouted.headers, input.preRouted.decision);
    }
    const decided = await decide(router, url, input.headers, (call) => runMiddleware(input, call));
    if (decided.kind === "response") {
      res.statusCode = decided.status;
      setHeaders(res, decided.headers);
      return pipeBody(decided.body ? fromWebStream(decided.body) : undefined, res);
    }
    debug("routing", url.pathname, decided.decision);
    return answer(input, decided.headers, decided.decision);
  };
  return dispatch;

  async function answer(input: DispatchInput, headers: RequestHeaders, d: RouteDecision): Promise<void> {
    const { res, url } = input;
    // Route params that are not valid percent-encoding: `next start` answers 400 (without route headers).
    if (!paramsDecode(d)) {
      res.statusCode = 400;
      return render(input, headers, { invokePath: "/400", invokeQuery: {}, invokeStatus: 400 });
    }
    setHeaders(res, d.resolvedHeaders ?? []);
    // OpenNext's `dangerous.headersAndCookiesPriority`: "middleware" makes the routing
    // headers (next.config's and middleware's) win over the handler's. Without it the
    // handler wins, as in `next start`.
    const priority = (globalThis as { openNextConfig?: OpenNextConfig }).openNextConfig?.dangerous?.headersAndCookiesPriority;
    if (typeof priority === "function" && priority(input.event) === "middleware") res.preferHeaders(d.resolvedHeaders ?? []);
    const redirect = redirectOf(d, url);
    if (redirect) {
      for (const [k, v] of redirectHeaders(redirect)) res.setHeader(k, v);
      return end(res, redirect.status, redirect.location);
    }
    if (d.externalRewrite) return proxyTo(input, headers, d.externalRewrite);
    // `/_next/image/` too: with `trailingSlash: true` Next's image loader asks for that.
    const target = d.resolvedPathname ?? url.pathname;
    if (target === imagePath || target === `${imagePath}/`) return optimizeImage(input, headers);
    if (!d.resolvedPathname || !d.invocationTarget) return notFound(input, headers);
    // Next's router server sets middleware's status on the response the page is then rendered into.
    if (d.middlewareStatus) res.statusCode = d.middlewareStatus;
    if (d.rewriteStatus) res.fixStatus(d.rewriteStatus);

    const found = staticFile(d.resolvedPathname);
    if (found) return sendStatic(input, headers, found);

    let invokePath = d.invocationTarget.pathname;
    let invokeOutput = d.resolvedPathname;
    const isNextDataReq = invokePath.startsWith(dataPrefix);
    if (isNextDataReq) {
      invokePath = fromDataPath(invokePath);
      if (invokeOutput.startsWith(dataPrefix)) invokeOutput = fromDataPath(invokeOutput);
    }
    // The route as Next names its pages (the router server's `itemPath`): no basePath, no locale.
    invokeOutput = pagePath(invokeOutput);
    invokePath = canonicalLocale(invokePath);
    // Route params travel in the pathname; `nxtP*` keys the tables add are not query values.
    const original = url.searchParams;
    const invokeQuery: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(d.invocationTarget.query)) {
      if ((k.startsWith("nxtP") || k.startsWith("nxtI")) && !original.has(k)) continue;
      // Next's internal marker; `next start` never lets a client set it.
      if (k === "__nextDataReq") continue;
      invokeQuery[k] = v;
    }
    // Cookies middleware set stay when the handler sets its own (Next merges them, as
    // its router server tells it with `middlewareCookie`).
    const middlewareCookie = (d.resolvedHeaders ?? []).filter(([k]) => k.toLowerCase() === "set-cookie").map(([, v]) => v);
    const routedPath = withoutBasePath(invokePath, basePath);
    let match: unknown;
    if (invokeOutput.endsWith(".rsc") && isPagesOutput(invokeOutput.slice(0, -".rsc".length))) {
      // An RSC fallback of a Pages route (Next 16.5) is not an output for `next start`:
      // the path, `.rsc` and all, goes to the Pages route that matches it.
      const pages = server.pagesMatch(routedPath);
      invokeOutput = pages?.output ?? invokePath;
      match = pages?.match;
    } else if (invokeOutput.includes("[")) {
      // The dynamic route routing chose, as Next's router server hands it over (16.4+).
      match = server.routeMatch(routedPath, invokeOutput);
    }
    await render(input, headers, {
      invokePath,
      invokeQuery,
      invokeOutput,
      ...(match ? { match } : {}),
      // A Pages API route finds a rewrite destination's query (`/api/x?q=1`) by matching
      // next.config's rewrites against the request's URL once more, which can miss
      // (a Next 16.2 Turbopack build under trailingSlash reads an uninlined
      // `__NEXT_TRAILING_SLASH`; `next start` then answers without `q`). The routed
      // query goes in as `query` meta, which Next's handler takes first: the API sees
      // it merged with the request's, as on OpenNext (its e2e suite checks this).
      ...(isPagesApi(invokeOutput) ? { query: invokeQuery } : {}),
      ...(isNextDataReq ? { isNextDataReq: true } : {}),
      ...(middlewareCookie.length ? { middlewareCookie } : {}),
    });
  }
}
