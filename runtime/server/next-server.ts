/**
 * Starts Next.js in-process through its public custom-server API
 * (`next({ dir }).getRequestHandler()`), so routing — redirects, rewrites,
 * headers, middleware, dynamic routes, 404/500, `_next/data`, RSC — is exactly
 * `next start`'s.
 *
 * Like Next's standalone `server.js`, the config is handed over through
 * `__NEXT_PRIVATE_STANDALONE_CONFIG` (the serialized config of
 * `required-server-files.json`): when it is set, every `loadConfig` call inside
 * Next (router server, render server) returns it verbatim, and the `conf` given
 * to `next()` is ignored. That is where our `cacheHandler` goes.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { NextConfig, NextCustomServer, NextRequestHandler, PrerenderManifest } from "../types/next.ts";
import { debug } from "../utils/logger.ts";
import type { NextFiles } from "./next-files.ts";

export interface NextServerOptions {
  files: NextFiles;
  /** Absolute path of the module exporting the cache handler class. */
  cacheHandlerPath: string;
  /** Absolute path of the module exporting the `'use cache'` handler. */
  composableCacheHandlerPath: string;
  /**
   * Whether Next loads every route module while it starts (its
   * `experimental.preloadEntriesOnStart`). OpenNext's `routePreloadingBehavior`
   * `"onStart"` turns it on; every other value (default `"none"`) keeps cold
   * starts short by loading a route's code on its first request.
   */
  preloadEntries: boolean;
  /** Called after `res.revalidate(urlPath)` regenerated a page (the CDN's copy is then out of date). */
  onRevalidated?: (urlPath: string) => Promise<void>;
}

/**
 * The `'use cache'` handlers: ours for `default` and `remote` (Next's own keeps
 * entries in memory, and not at all with `cacheMaxMemorySize: 0`), the app's
 * where it configured one. Next 16 reads the top-level option, 15.5 the
 * experimental one.
 */
function cacheHandlers(config: NextConfig, composablePath: string): Record<string, string> {
  const handlers: Record<string, string> = { default: composablePath, remote: composablePath };
  const own = [config.experimental?.cacheHandlers, config.cacheHandlers] as Array<Record<string, unknown> | undefined>;
  for (const set of own) {
    for (const [kind, handler] of Object.entries(set ?? {})) if (typeof handler === "string") handlers[kind] = handler;
  }
  return handlers;
}

/** The config Next runs with: the build's, with our cache handlers and without compression. */
export function runtimeNextConfig(
  config: NextConfig,
  cacheHandlerPath: string,
  composableCacheHandlerPath: string,
  preloadEntries: boolean,
): NextConfig {
  const handlers = cacheHandlers(config, composableCacheHandlerPath);
  return {
    ...config,
    experimental: { ...config.experimental, preloadEntriesOnStart: preloadEntries, cacheHandlers: handlers },
    cacheHandlers: handlers,
    // Compression is the CDN's job (and would make streamed bodies opaque here).
    compress: false,
    cacheHandler: cacheHandlerPath,
    // Every read goes to the cache handler; no in-memory copy that could go stale
    // across instances.
    cacheMaxMemorySize: 0,
  };
}

/** Next's render server (`NextNodeServer`): renders a route it is told to render. */
export interface RenderServer {
  /** A request handler that applies Next's request metadata (`invokePath`, `middlewareInvoke`, ...) first. */
  handlerWithMeta(meta: Record<string, unknown>): NextRequestHandler;
  /**
   * The origin Next gives middleware (`request.url`): its own hostname and port,
   * as in `next start`. Middleware URLs on it are same-origin.
   */
  origin(protocol: "http" | "https"): string;
  /** Loads every route's module now (Next's `unstable_preloadEntries`), instead of on its first request. */
  preloadEntries(): Promise<void>;
  /**
   * The route match Next's router server hands its render server (`match` request
   * meta, from Next 16.4) for the route `output` (as Next names it: `/a/[slug]`) at
   * `pathname` (no basePath); undefined on versions that find it themselves.
   */
  routeMatch(pathname: string, output: string): unknown;
  /**
   * The Pages route `next start` renders `pathname` (no basePath) with, matched as
   * its router server matches: an exact page first, then the dynamic ones by
   * precedence, skipping a `fallback: false` route for a path it did not prerender.
   * `{ output, match }`, or undefined when no Pages route matches.
   */
  pagesMatch(pathname: string): { output: string; match: unknown } | undefined;
}

/**
 * Starts Next's render server alone — the part `next start` runs behind its
 * router server. Routing is ours (the Rust router); each request is handed over
 * with the metadata Next's router server sets (`invokePath`, `invokeQuery`,
 * `invokeStatus`, `initURL`, ...), so Next renders exactly the route routing
 * chose. Middleware runs through the same server (`middlewareInvoke`).
 */
/**
 * What Next's standalone `server.js` does before requiring `next`: production
 * mode, the serialized config, the function directory as cwd. Returns the config,
 * a `require` resolving from the function's `node_modules`, and the port.
 */
function prepareNext({ files, cacheHandlerPath, composableCacheHandlerPath, preloadEntries }: NextServerOptions) {
  const conf = runtimeNextConfig(files.config, cacheHandlerPath, composableCacheHandlerPath, preloadEntries);
  (process.env as Record<string, string>).NODE_ENV = "production";
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(conf);
  process.chdir(files.functionDir);
  const require = createRequire(path.join(files.functionDir, "index.mjs"));
  const parsedPort = Number.parseInt(process.env.PORT ?? "3000", 10);
  return { conf, require, port: Number.isNaN(parsedPort) ? 3000 : parsedPort };
}

/**
 * What `next start`'s router server publishes for the route modules
 * (`Symbol.for("@next/router-server-methods")`, keyed by the project directory
 * relative to the cwd). Without its `revalidate`, `res.revalidate()` in a
 * Pages API route fails with "missing internal router-server-methods". Next's
 * render server adds `nextConfig` and `isWrappedByNextServer` to the same
 * object on its first request.
 */
function registerRouterServerMethods(server: any, dir: string, onRevalidated?: (urlPath: string) => Promise<void>): void {
  const g = globalThis as Record<symbol, Record<string, Record<string, unknown>> | undefined>;
  const symbol = Symbol.for("@next/router-server-methods");
  const contexts = g[symbol] ?? {};
  g[symbol] = contexts;
  const key = path.relative(process.cwd(), dir);
  contexts[key] = {
    ...contexts[key],
    render404: server.render404.bind(server),
    getAssetPrefix: server.getAssetPrefix?.bind(server),
    revalidate: async (args: { urlPath: string }) => {
      await server.revalidate(args);
      await onRevalidated?.(args.urlPath);
    },
  };
}

/** Where Next keeps a request's metadata (`next/dist/server/request-meta`). */
const REQUEST_META = Symbol.for("NextInternalRequestMeta");

/**
 * Keeps the URL the client requested as the request's `initURL`. Next's render
 * server replaces it on every request with `<proto>://<its hostname>:<its
 * port><path>` (`localhost:3000` here), which is what `request.url`, absolute
 * redirects and `metadataBase` fallbacks are built from; behind API Gateway,
 * CloudFront or any proxy they must name the viewer's host instead. Routing
 * hands the request's own URL (Host or `x-forwarded-host`, the converter's
 * scheme, the real port) over as `initURL`, and it stays.
 */
function keepRequestUrl(server: any): void {
  const attach = server.attachRequestMeta;
  if (typeof attach !== "function") return;
  server.attachRequestMeta = function (this: unknown, req: Record<symbol, Record<string, unknown> | undefined>, ...rest: unknown[]) {
    const meta = req[REQUEST_META];
    const initURL = meta?.initURL;
    const initProtocol = meta?.initProtocol;
    const out = attach.call(this, req, ...rest);
    const after = req[REQUEST_META];
    if (after && typeof initURL === "string") {
      after.initURL = initURL;
      if (initProtocol !== undefined) after.initProtocol = initProtocol;
    }
    return out;
  };
}

export async function startRenderServer(options: NextServerOptions): Promise<RenderServer> {
  const { files } = options;
  const { conf, require, port } = prepareNext(options);
  const mod = require("next/dist/server/next-server.js") as { default: new (options: Record<string, unknown>) => any };
  const server = new mod.default({
    dev: false,
    dir: files.functionDir,
    conf,
    customServer: false,
    minimalMode: false,
    hostname: "localhost",
    port,
    quiet: true,
  });
  await server.prepare();
  registerRouterServerMethods(server, files.functionDir, options.onRevalidated);
  keepRequestUrl(server);
  debug("next render server is ready", files.nextVersion);
  return {
    handlerWithMeta: (meta) => server.getRequestHandlerWithMetadata(meta),
    origin: (protocol) => `${protocol}://localhost:${port}`,
    preloadEntries: async () => {
      await server.unstable_preloadEntries?.();
    },
    routeMatch: (pathname, output) => routeMatch(server, pathname, output),
    pagesMatch: (pathname) => pagesMatch(server, pathname, files.prerenderManifest),
  };
}

/** A route definition, as far as these read it. */
type RouteDefinition = { kind: string; pathname: string };

/**
 * Each render server's route definitions (Next builds them from its manifests on
 * every call; they do not change): by pathname, and its Pages routes in the order
 * `next start`'s router tries them (made on first use).
 */
const definitionsOf = new WeakMap<
  object,
  { byPathname: Map<string, RouteDefinition>; all: RouteDefinition[]; pagesInOrder?: RouteDefinition[] }
>();

/** The definitions of `server`, built on first use. */
function definitions(server: any) {
  let d = definitionsOf.get(server);
  if (!d) {
    const all = server.getRouteDefinitions() as RouteDefinition[];
    const byPathname = new Map<string, RouteDefinition>();
    for (const definition of all) if (!byPathname.has(definition.pathname)) byPathname.set(definition.pathname, definition);
    d = { byPathname, all };
    definitionsOf.set(server, d);
  }
  return d;
}

/** The path Next matches routes against (no trailing slash, no locale) and its locale analysis. */
function matchPath(server: any, pathname: string): { trimmed: string; path: string; analysis: unknown } {
  const trimmed = pathname.length > 1 ? pathname.replace(/\/$/, "") : pathname;
  const analysis = server.i18nProvider?.analyze(trimmed);
  return { trimmed, path: analysis?.pathname ?? trimmed, analysis };
}

/**
 * Without it, Next 16.4+ matches the path itself and renders the first route by
 * precedence: `/a/x` was `[slug]` (`fallback: false`, no `x`) where routing had
 * chosen the catch-all beside it, and Next answered 404.
 */
function routeMatch(server: any, pathname: string, output: string): unknown {
  if (typeof server.getRouteDefinitions !== "function" || typeof server.testRouteDefinition !== "function") return undefined;
  const definition = definitions(server).byPathname.get(output);
  if (!definition) return undefined;
  const { path, analysis } = matchPath(server, pathname);
  return server.testRouteDefinition(path, definition, analysis) ?? undefined;
}

const isDynamic = (pathname: string) => /\[[^/]+\]/.test(pathname);

/**
 * Next 16.5 lists an RSC fallback (`rsc-fallback.json`) for each Pages route
 * (`/posts/[id].rsc`), and the routing table's dynamic routes take a `.rsc`
 * suffix for Pages routes too. `next start` knows neither: `/a/x.rsc` is the
 * Pages route that matches `x.rsc`. The dispatcher asks this for such requests.
 */
function pagesMatch(
  server: any,
  pathname: string,
  prerender: PrerenderManifest | undefined,
): { output: string; match: unknown } | undefined {
  if (typeof server.getRouteDefinitions !== "function" || typeof server.getSortedRouteDefinitions !== "function") return undefined;
  const d = definitions(server);
  d.pagesInOrder ??= (() => {
    const pages = d.all.filter((definition) => definition.kind === "PAGES");
    return [
      ...pages.filter((p) => !isDynamic(p.pathname)),
      ...server.getSortedRouteDefinitions(pages.filter((p) => isDynamic(p.pathname))),
    ];
  })();
  const { trimmed, path, analysis } = matchPath(server, pathname);
  const excluded = (page: string) =>
    (prerender?.dynamicRoutes?.[page] as { fallback?: unknown } | undefined)?.fallback === false &&
    !prerender?.routes?.[path] &&
    !prerender?.routes?.[trimmed];
  for (const definition of d.pagesInOrder) {
    const dynamic = isDynamic(definition.pathname);
    if (dynamic && excluded(definition.pathname)) continue;
    const match = server.testRouteDefinition(path, definition, analysis);
    if (match) return { output: definition.pathname, match: dynamic ? match : undefined };
  }
  return undefined;
}

export async function startNextServer(options: NextServerOptions): Promise<NextRequestHandler> {
  const { files } = options;
  const { conf, require, port } = prepareNext(options);
  const mod = require("next") as unknown;
  const createNext = (typeof mod === "function" ? mod : (mod as { default: unknown }).default) as (
    options: Record<string, unknown>,
  ) => NextCustomServer;

  const app = createNext({ dev: false, dir: files.functionDir, conf, hostname: "localhost", port, quiet: true });
  await app.prepare();
  debug("next is ready", files.nextVersion);
  return app.getRequestHandler();
}
