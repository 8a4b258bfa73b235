/**
 * Runs the app's edge middleware inside the external middleware function.
 *
 * `next build` compiles edge middleware into scripts listed in
 * `.next/server/middleware-manifest.json` (webpack or Turbopack chunks, wasm
 * bindings, env). Evaluated in order, they register
 * `_ENTRIES["middleware_<name>"]`, whose `default({ request })` is Next's edge
 * adapter: it builds the `NextRequest`, calls the user's function and
 * returns `{ response, waitUntil }`. Next's own server evaluates them in an
 * `edge-runtime` VM; this function does nothing else, so they run in its own
 * global scope (as OpenNext's edge bundle does), which gives them the Web
 * APIs of Node (fetch, Request, Response, Headers, crypto, streams, URL) and
 * these edge globals: `self`, `_ENTRIES`, `EdgeRuntime`, `AsyncLocalStorage`,
 * the wasm modules by binding name, the manifest's `env`, a `require` of
 * the Node modules the edge runtime allows, and `fetch` of the bundled assets.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import type { ResponseLike } from "../routing/decide.ts";
import type { HeaderPairs } from "../routing/router.ts";
import { debug, error } from "../utils/logger.ts";

interface ManifestEntry {
  files: string[];
  name: string;
  page: string;
  wasm?: { name: string; filePath: string }[];
  assets?: { name: string; filePath: string }[];
  env?: Record<string, string>;
}

/** The `nextConfig` the edge adapter is given (as Next's server passes it). */
export interface EdgeNextConfig {
  basePath?: string;
  i18n?: unknown;
  trailingSlash?: boolean;
  experimental?: Record<string, unknown>;
}

export interface EdgeMiddlewareCall {
  url: string;
  method: string;
  headers: HeaderPairs;
  body?: Buffer;
}

export interface EdgeMiddleware {
  /** Runs middleware for one request; resolves once its `waitUntil` work is done too. */
  run(call: EdgeMiddlewareCall): Promise<ResponseLike>;
}

/** Node modules edge code may `require` (the edge runtime's list). */
const NODE_MODULES = ["buffer", "events", "assert", "util", "async_hooks"];

type EdgeFunction = (params: { request: Record<string, unknown> }) => Promise<{ response: ResponseLike; waitUntil?: Promise<unknown> }>;

/**
 * Makes `fetch("blob:<name>")` answer with the edge function's bundled asset of
 * that name, as Next's sandbox does: `new URL("./file", import.meta.url)` in edge
 * code compiles to such a URL (the manifest's `assets` map names to files under
 * `.next/`). Any other URL, or an asset that is not there, goes to the real fetch.
 */
function installAssetFetch(distDir: string, assets: ManifestEntry["assets"]) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (href.startsWith("blob:")) {
      const name = href.slice("blob:".length);
      const asset = assets ? assets.find((a) => a.name === name) : { name, filePath: name };
      if (asset) {
        const file = path.resolve(distDir, asset.filePath);
        const body = await fs.promises.readFile(file).catch(() => undefined);
        if (body) return new Response(body);
      }
    }
    return realFetch(input, init);
  };
}

/**
 * Loads the middleware of the build copied into `dir` (`.next/server/...`), or
 * `undefined` when the app has none.
 */
export function loadEdgeMiddleware(dir: string, nextConfig: EdgeNextConfig): EdgeMiddleware | undefined {
  const distDir = path.join(dir, ".next");
  const manifestFile = path.join(distDir, "server/middleware-manifest.json");
  if (!fs.existsSync(manifestFile)) return undefined;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { middleware?: Record<string, ManifestEntry> };
  const entry = manifest.middleware?.["/"];
  if (!entry) return undefined;
  const start = performance.now();
  const g = globalThis as Record<string | symbol, unknown>;
  g.self ??= globalThis;
  g._ENTRIES ??= {};
  g.EdgeRuntime ??= "edge-runtime";
  g.AsyncLocalStorage ??= AsyncLocalStorage;
  if (g.require === undefined) {
    const nodeRequire = createRequire(path.join(dir, "handler.mjs"));
    Object.defineProperty(globalThis, "require", {
      enumerable: false,
      configurable: true,
      value: (id: string) => {
        const name = id.replace(/^node:/, "");
        if (!NODE_MODULES.includes(name)) throw new TypeError(`Native module not found: ${id}`);
        return nodeRequire(`node:${name}`);
      },
    });
  }
  Object.assign(process.env, entry.env ?? {}, { NEXT_RUNTIME: "edge" });
  for (const binding of entry.wasm ?? []) {
    g[binding.name] = new WebAssembly.Module(fs.readFileSync(path.join(distDir, binding.filePath)));
  }
  installAssetFetch(distDir, entry.assets);
  for (const file of entry.files) {
    const filename = path.join(distDir, file);
    vm.runInThisContext(fs.readFileSync(filename, "utf8"), { filename });
  }
  const key = `middleware_${entry.name}`;
  const entries = g._ENTRIES as Record<string, Promise<{ default: EdgeFunction }> | { default: EdgeFunction }>;
  if (!entries[key]) throw new Error(`open-next: the middleware bundle did not register ${key} (files: ${entry.files.join(", ")})`);
  debug(`edge middleware loaded in ${(performance.now() - start).toFixed(1)} ms`);

  // Next's adapter reads `waitUntil` from the request context under this symbol.
  const pending: Promise<unknown>[] = [];
  const requestContext = { get: () => ({ waitUntil: (p: Promise<unknown>) => pending.push(p) }) };
  Object.defineProperty(globalThis, Symbol.for("@next/request-context"), { configurable: true, value: requestContext });

  return {
    async run(call) {
      const fn = (await entries[key]).default;
      const headers: Record<string, string> = {};
      for (const [k, v] of call.headers) headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      const hasBody = call.method !== "GET" && call.method !== "HEAD" && call.body && call.body.length > 0;
      const result = await fn({
        request: {
          headers,
          method: call.method,
          nextConfig: { ...nextConfig, experimental: nextConfig.experimental ?? {} },
          url: call.url,
          page: {},
          body: hasBody ? new Blob([call.body as Buffer]).stream() : undefined,
          signal: new AbortController().signal,
        },
      });
      if (!result?.response) throw new Error("open-next: edge middleware returned no response");
      // Lambda freezes once the handler returns: background work finishes first.
      const background = [result.waitUntil, ...pending.splice(0)].filter(Boolean);
      if (background.length) {
        await Promise.allSettled(background).then((all) => {
          for (const r of all) if (r.status === "rejected") error("middleware waitUntil failed", r.reason);
        });
      }
      return result.response;
    },
  };
}
