/**
 * One routing decision, middleware included: the Rust router decides, and when
 * its matcher says so the middleware runs (through whichever runner the
 * function has: Next's own server in a server function, the edge host in
 * external middleware) and the router resumes with what it answered.
 */
import type { ReadMiddleware } from "./middleware.ts";
import { type HeaderPairs, isMiddlewareCall, type RequestHeaders, type RouteDecision, type loadRouter } from "./router.ts";

export type Router = NonNullable<ReturnType<typeof loadRouter>>;
export type { RequestHeaders };

/** A web `Response` of any realm (edge middleware may have its own). */
export interface ResponseLike {
  status: number;
  headers: { forEach(cb: (value: string, key: string) => void): void } & Iterable<[string, string]>;
  body: ReadableStream<Uint8Array> | null;
}

/** What running middleware gave: its response (absent when it declined) and how to read it. */
export interface MiddlewareRun {
  response?: ResponseLike;
  read: ReadMiddleware;
}

/** Runs the middleware the router asked for. */
export type MiddlewareRunner = (call: { url: string; headers: HeaderPairs }) => Promise<MiddlewareRun>;

/** The outcome of routing one request. */
export type Decided =
  | {
      /** Middleware answered with a response of its own: send it. */
      kind: "response";
      status: number;
      /** Routing's headers, then middleware's (without body-framing ones). */
      headers: HeaderPairs;
      body: ReadableStream<Uint8Array> | null;
    }
  | {
      kind: "route";
      /** The request headers to continue with (middleware may have changed them). */
      headers: RequestHeaders;
      decision: RouteDecision;
    };

export function fromMap(m: Map<string, string[]>): RequestHeaders {
  const out: RequestHeaders = {};
  for (const [k, vs] of m) out[k] = vs.length === 1 || k !== "x-middleware-set-cookie" ? vs.join(", ") : vs;
  return out;
}

/** `pairs` with the headers named in `winners` (other than `set-cookie`) taking `winners`' values. */
function keepWinners(pairs: HeaderPairs, winners: HeaderPairs): HeaderPairs {
  const names = new Set(winners.map(([k]) => k.toLowerCase()).filter((k) => k !== "set-cookie"));
  if (!names.size) return pairs;
  return [...pairs.filter(([k]) => !names.has(k.toLowerCase())), ...winners.filter(([k]) => names.has(k.toLowerCase()))];
}

/**
 * Whether next.config `headers` win over the same headers set by middleware:
 * only with `dangerous.middlewareHeadersOverrideNextConfigHeaders: false`
 * written out (OpenNext's default precedence). Otherwise middleware wins, as in
 * `next start`.
 */
export function configHeadersWin(): boolean {
  const dangerous = (globalThis as { openNextConfig?: { dangerous?: Record<string, unknown> } }).openNextConfig?.dangerous;
  return dangerous?.middlewareHeadersOverrideNextConfigHeaders === false;
}

/** Routes `url` with `headers`, running middleware with `run` when the router asks for it. */
export async function decide(router: Router, url: URL, headers: RequestHeaders, run: MiddlewareRunner): Promise<Decided> {
  const first = router.resolve(url.toString(), headers);
  if (!isMiddlewareCall(first)) return { kind: "route", headers, decision: first };
  let ran: MiddlewareRun;
  try {
    ran = await run(first.middleware);
  } catch (e) {
    router.resume(first.token, { bodySent: true });
    throw e;
  }
  const { response, read } = ran;
  const configWins = configHeadersWin();
  if (read.outcome.bodySent && response) {
    router.resume(first.token, read.outcome);
    const own = (read.outcome.responseHeaders ?? []).filter(([k]) => k !== "content-encoding" && k !== "transfer-encoding");
    const all: HeaderPairs = [...first.responseHeaders, ...own];
    return {
      kind: "response",
      status: response.status,
      headers: configWins ? keepWinners(all, first.responseHeaders) : all,
      body: response.body,
    };
  }
  const decision = router.resume(first.token, read.outcome);
  if (configWins && decision.resolvedHeaders) decision.resolvedHeaders = keepWinners(decision.resolvedHeaders, first.responseHeaders);
  // `NextResponse.next({ status })` keeps its status. An internal rewrite's status is the
  // answer's, as OpenNext answers it (its e2e suite checks it; `next start` 15.5 to 16.5
  // drop it and answer 200, so a CDN could cache a page middleware meant to forbid).
  if (response && response.status !== 200 && !decision.redirect) {
    if (!read.outcome.rewrite) decision.middlewareStatus = response.status;
    else if (!decision.externalRewrite) decision.rewriteStatus = response.status;
  }
  return { kind: "route", headers: fromMap(read.requestHeaders), decision };
}
