/**
 * Reading what middleware (or Next 16's `proxy.ts`) answered.
 *
 * Middleware speaks through headers on its `Response`: `x-middleware-next`
 * (continue), `x-middleware-rewrite`, `Location` with a redirect status,
 * `x-middleware-override-headers` + `x-middleware-request-<name>` (request
 * headers to continue with), `x-middleware-set-cookie` (cookies the page must
 * see); anything else is a response of its own. This turns that into the
 * outcome the Rust router resumes with, with the semantics of Next's router
 * server.
 */
import type { HeaderPairs, MiddlewareOutcome } from "./router.ts";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NOT_FORWARDED = new Set(["content-length", "x-middleware-rewrite", "x-middleware-redirect", "x-middleware-refresh"]);

/** `url` relative to `base` when they share an origin (as Next's `getRelativeURL`). */
export function relativeUrl(url: string, base: string): string {
  try {
    const u = new URL(url, base);
    const b = new URL(base);
    return u.origin === b.origin ? `${u.pathname}${u.search}${u.hash}` : u.toString();
  } catch {
    return url;
  }
}

export interface ReadMiddleware {
  /** For the router. */
  outcome: MiddlewareOutcome;
  /** The request headers the route is rendered with. */
  requestHeaders: Map<string, string[]>;
}

/** Header pairs as a multi-map (lower-case names). */
export function headerMap(pairs: Iterable<[string, string]>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    const key = k.toLowerCase();
    const list = m.get(key);
    if (list) list.push(v);
    else m.set(key, [v]);
  }
  return m;
}

function pairsOf(m: Map<string, string[]>): HeaderPairs {
  const out: HeaderPairs = [];
  for (const [k, vs] of m) for (const v of vs) out.push([k, v]);
  return out;
}

/**
 * Reads a middleware response. `requestHeaders` are the headers middleware was
 * called with; `initUrl` is the URL of the request, `middlewareUrl` the same
 * request as middleware saw it (Next gives it the server's own origin):
 * rewrites and redirects to that origin become relative, as in Next, and are
 * resolved against the request's URL.
 */
export function readMiddlewareResponse(
  status: number,
  responseHeaders: Iterable<[string, string]>,
  requestHeaders: HeaderPairs,
  initUrl: string,
  middlewareUrl: string = initUrl,
): ReadMiddleware {
  const res = headerMap(responseHeaders);
  const req = headerMap(requestHeaders);
  const first = (k: string) => res.get(k)?.[0];

  const override = res.get("x-middleware-override-headers");
  if (override) {
    const keep = new Set(
      override
        .join(",")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    );
    res.delete("x-middleware-override-headers");
    for (const k of [...req.keys()]) if (!keep.has(k)) req.delete(k);
    for (const k of keep) {
      const v = res.get(`x-middleware-request-${k}`);
      if (v === undefined) req.delete(k);
      else req.set(k, [...v]);
      res.delete(`x-middleware-request-${k}`);
    }
  }
  const refresh = !res.has("x-middleware-rewrite") && !res.has("x-middleware-next") && !res.has("location");
  res.delete("x-middleware-next");

  const forward = new Map<string, string[]>();
  for (const [k, vs] of res) {
    if (NOT_FORWARDED.has(k)) continue;
    if (k === "x-middleware-set-cookie") {
      req.set(k, [...vs]);
      continue;
    }
    forward.set(k, [...vs]);
    req.set(k, [...vs]);
  }

  const outcome: MiddlewareOutcome = {};
  const rewrite = first("x-middleware-rewrite");
  if (rewrite) {
    const rel = relativeUrl(relativeUrl(rewrite, middlewareUrl), initUrl);
    forward.set("x-middleware-rewrite", [rel]);
    outcome.rewrite = new URL(rel, initUrl).toString();
  }
  const location = first("location");
  if (location && !outcome.rewrite) {
    if (REDIRECT_STATUSES.has(status)) {
      const rel = relativeUrl(relativeUrl(location, middlewareUrl), initUrl);
      forward.set("location", [rel]);
      outcome.redirectUrl = new URL(rel, initUrl).toString();
      outcome.redirectStatus = status;
    } else {
      forward.set("location", [location]);
    }
  } else if (location) {
    forward.set("location", [REDIRECT_STATUSES.has(status) ? relativeUrl(relativeUrl(location, middlewareUrl), initUrl) : location]);
  }
  if (refresh) outcome.bodySent = true;
  outcome.responseHeaders = pairsOf(forward);
  outcome.requestHeaders = pairsOf(req);
  return { outcome, requestHeaders: req };
}
