/**
 * Response header fixes applied before a response leaves the server function,
 * with the same outcome as OpenNext's:
 * - error pages (404/500) are never cached;
 * - static HTML pages (pages router, no data fetching) get a CDN-cacheable header;
 * - a bare `stale-while-revalidate` gets an explicit window;
 * - ISR responses: a fresh HIT gets its remaining TTL, a STALE one a 2s s-maxage
 *   (so the CDN refetches shortly after the background revalidation), a
 *   REVALIDATED one is not cached.
 */
import type { HeaderValue } from "../http/util.ts";
import { getStore } from "./context.ts";

export const CACHE_CONTROL = "cache-control";
export const NEXTJS_CACHE = "x-nextjs-cache";
export const CACHE_TAGS_HEADER = "x-next-cache-tags";
export const ISR_HEADER = "x-isr";
export const PRERENDER_REVALIDATE_HEADER = "x-prerender-revalidate";
export const NO_STORE = "private, no-cache, no-store, max-age=0, must-revalidate";
export const HTML_PAGE_CACHE_CONTROL = "public, max-age=0, s-maxage=31536000, must-revalidate";
export const STALE_CACHE_CONTROL = "s-maxage=2, stale-while-revalidate=2592000";
const SWR_SECONDS = 2592000;
const ONE_YEAR = 31536000;

function single(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : String(value);
}

/** 404 and 500 responses are never cached (opt out with `OPEN_NEXT_DANGEROUSLY_SET_ERROR_HEADERS=true`). */
export function fixCacheControlForError(headers: Record<string, HeaderValue>, statusCode: number): void {
  if (process.env.OPEN_NEXT_DANGEROUSLY_SET_ERROR_HEADERS === "true") return;
  if (statusCode === 404 || statusCode === 500) headers[CACHE_CONTROL] = NO_STORE;
}

export interface HtmlPageInfo {
  /** The request path, localized when i18n is on. */
  localizedPath: string;
  /** Pages served as plain `.html` (pages-manifest entries ending in `.html`). */
  htmlPages: ReadonlySet<string>;
  /** Whether the request carries `x-middleware-prefetch`. */
  isMiddlewarePrefetch: boolean;
}

export function fixCacheHeaderForHtmlPages(rawPath: string, info: HtmlPageInfo, headers: Record<string, HeaderValue>): void {
  if (rawPath === "/404" || rawPath === "/500") {
    fixCacheControlForError(headers, rawPath === "/404" ? 404 : 500);
    return;
  }
  if (info.htmlPages.has(info.localizedPath) && !info.isMiddlewarePrefetch) {
    headers[CACHE_CONTROL] = HTML_PAGE_CACHE_CONTROL;
  }
}

export function fixSWRCacheHeader(headers: Record<string, HeaderValue>): void {
  const value = single(headers[CACHE_CONTROL]);
  if (!value) return;
  headers[CACHE_CONTROL] = value.replace(/\bstale-while-revalidate(?!=)/, `stale-while-revalidate=${SWR_SECONDS}`);
}

export function fixISRHeaders(headers: Record<string, HeaderValue>): void {
  const cacheControl = single(headers[CACHE_CONTROL]);
  const match = cacheControl ? /s-maxage=(\d+)/.exec(cacheControl) : null;
  const sMaxAge = match ? Number.parseInt(match[1], 10) : 0;
  if (!sMaxAge) return;
  const status = single(headers[NEXTJS_CACHE]);
  if (status === "REVALIDATED") {
    headers[CACHE_CONTROL] = NO_STORE;
    return;
  }
  const lastModified = getStore()?.lastModified ?? 0;
  if (status === "HIT" && lastModified > 0 && sMaxAge !== ONE_YEAR) {
    const age = Math.round((Date.now() - lastModified) / 1000);
    headers[CACHE_CONTROL] = `s-maxage=${Math.max(sMaxAge - age, 1)}, stale-while-revalidate=${SWR_SECONDS}`;
  }
  if (status === "STALE") headers[CACHE_CONTROL] = STALE_CACHE_CONTROL;
}
