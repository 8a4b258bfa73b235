/**
 * The Rust router, loaded once per function instance.
 *
 * `open-next build` compiles the app's routing table into `routing.json` and
 * ships the runtime addon (`open-next-runtime.<target>.node`: the
 * Router, nothing of the build tool) next to `index.mjs`. Every request is
 * routed by it: headers, redirects, rewrites, i18n, `_next/data`, dynamic
 * routes and the middleware matcher, with Next's own semantics.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { findAddon, missingAddonError } from "../utils/addon-file.ts";
import { debug } from "../utils/logger.ts";

/** `[name, value]` pairs, the header shape the addon takes and returns. */
export type HeaderPairs = [string, string][];

/** A routing decision (the fields of `@next/routing`'s result). */
export interface RouteDecision {
  middlewareResponded?: boolean;
  externalRewrite?: string;
  redirect?: { url: string; status: number };
  resolvedPathname?: string;
  resolvedQuery?: Record<string, string | string[]>;
  invocationTarget?: { pathname: string; query: Record<string, string | string[]> };
  resolvedHeaders?: HeaderPairs;
  status?: number;
  routeMatches?: Record<string, string>;
  /**
   * The status of middleware's response when it continued
   * (`NextResponse.next({ status: 403 })`): the page is rendered with it, as
   * Next's router server does. Set by `decide`, not by the router.
   */
  middlewareStatus?: number;
  /**
   * The status middleware gave an internal rewrite
   * (`NextResponse.rewrite(url, { status: 403 })`): the answer has it whatever
   * the destination answers, as OpenNext's `rewriteStatusCode` (`next start`
   * drops it). Set by `decide`.
   */
  rewriteStatus?: number;
}

/** Returned instead of a decision when middleware must run first. */
export interface MiddlewareCall {
  /** `nextData`: a `_next/data` request, which middleware is told of with `x-nextjs-data: 1`. */
  middleware: { url: string; headers: HeaderPairs; nextData?: boolean };
  /** Response headers routing set before middleware (they also go on a middleware's own response). */
  responseHeaders: HeaderPairs;
  token: number;
}

/** What middleware did, handed back to the router. */
export interface MiddlewareOutcome {
  bodySent?: boolean;
  requestHeaders?: HeaderPairs;
  responseHeaders?: HeaderPairs;
  redirectUrl?: string;
  redirectStatus?: number;
  rewrite?: string;
}

/** Request headers as Node gives them (a repeated header as an array). */
export type RequestHeaders = Record<string, string | string[]>;

/** The router as the runtime uses it. */
interface LoadedRouter {
  /**
   * Routes a request. Only the headers routing reads cross to Rust; a middleware
   * call carries all of `headers` (as the Fetch standard lists them).
   */
  resolve(url: string, headers: RequestHeaders): RouteDecision | MiddlewareCall;
  resume(token: number, outcome: MiddlewareOutcome): RouteDecision;
}

interface NativeRouterBinding {
  resolve(url: string, headers: HeaderPairs): RouteDecision | MiddlewareCall;
  resume(token: number, outcome: MiddlewareOutcome): RouteDecision;
  /** The request headers a decision depends on (lower-case). */
  readonly requestHeaderNames: string[];
  /** `resolve` with the decision as JSON text (cheaper across the boundary than an object). */
  resolveJson(url: string, headers: HeaderPairs): string;
  /** `resolveJson` with the headers as one string: names and values joined by NUL. */
  resolvePacked(url: string, headers: string): string;
}

/**
 * The headers named in `names` as `resolvePacked` takes them (names and values
 * alternating, joined by NUL), or `undefined` when one holds a NUL itself.
 */
export function packHeaders(headers: RequestHeaders, names: ReadonlySet<string>): string | undefined {
  let out = "";
  for (const k in headers) {
    const name = k.toLowerCase();
    if (!names.has(name)) continue;
    const v = headers[k];
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x.includes("\0")) return undefined;
      out += out === "" ? `${name}\0${x}` : `\0${name}\0${x}`;
    }
  }
  return out;
}

const trimHttp = (v: string) => v.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, "");

/**
 * All of `headers` as the Fetch standard lists them, the form the router gives
 * middleware: lower-case names sorted, values trimmed, repeats joined by ", "
 * (`set-cookie` values kept apart).
 */
export function fetchHeaderPairs(headers: RequestHeaders): HeaderPairs {
  const byName = new Map<string, string[]>();
  for (const k in headers) {
    const name = k.toLowerCase();
    const v = headers[k];
    const list = byName.get(name) ?? [];
    for (const x of Array.isArray(v) ? v : [v]) list.push(trimHttp(x));
    byName.set(name, list);
  }
  const out: HeaderPairs = [];
  for (const name of [...byName.keys()].sort()) {
    const vs = byName.get(name) as string[];
    if (name === "set-cookie") for (const v of vs) out.push([name, v]);
    else out.push([name, vs.join(", ")]);
  }
  return out;
}

/**
 * Loads the addon and compiles `routing.json` from the function directory, or
 * returns `undefined` when the build shipped no routing table.
 */
export function loadRouter(functionDir: string): LoadedRouter | undefined {
  const tableFile = path.join(functionDir, "routing.json");
  if (!fs.existsSync(tableFile)) return undefined;
  const start = performance.now();
  const addonFile = findAddon(functionDir, "open-next-runtime");
  if (!addonFile) throw missingAddonError(functionDir, "routing", "open-next-runtime");
  const require = createRequire(path.join(functionDir, "index.mjs"));
  const { Router } = require(addonFile) as { Router: new (spec: string) => NativeRouterBinding };
  const native = new Router(fs.readFileSync(tableFile, "utf8"));
  const names = new Set(native.requestHeaderNames);
  debug(`router ready in ${(performance.now() - start).toFixed(1)} ms`);
  return {
    resolve: (url, headers) => {
      const packed = packHeaders(headers, names);
      // A NUL in a header value cannot be packed: send every header as pairs.
      const pairs = packed === undefined ? fetchHeaderPairs(headers) : undefined;
      const first: RouteDecision | MiddlewareCall = JSON.parse(
        pairs === undefined ? native.resolvePacked(url, packed as string) : native.resolveJson(url, pairs),
      );
      if (isMiddlewareCall(first)) {
        first.middleware.headers = pairs ?? fetchHeaderPairs(headers);
        if (first.middleware.nextData) first.middleware.headers.push(["x-nextjs-data", "1"]);
      }
      return first;
    },
    resume: (token, outcome) => native.resume(token, outcome),
  };
}

/** Whether a result asks for middleware. */
export function isMiddlewareCall(r: RouteDecision | MiddlewareCall): r is MiddlewareCall {
  return (r as MiddlewareCall).token !== undefined;
}
