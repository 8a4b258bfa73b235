/**
 * The server function's handler: InternalEvent → Next.js → InternalResult.
 *
 * Next gets a Node request built from the event and a ServerResponse-compatible
 * writable; the response streams to the wrapper's StreamCreator as Next writes
 * it. Stale ISR entries are served as they are (the request carries
 * `purpose: prefetch`, which stops Next from regenerating in the background of
 * this request) and their regeneration is sent to the queue once the response
 * is done — as OpenNext does, so it works the same where nothing may run after
 * a response (serverless). The queue's request comes back here and lets Next
 * regenerate the stale entry as `next start` would, data caches included.
 */
import { createHash, randomUUID } from "node:crypto";
import { invalidatePages } from "../cache/cdn.ts";
import { requestForEvent } from "../http/request.ts";
import { InternalResponse } from "../http/response.ts";
import type { HeaderValue } from "../http/util.ts";
import type { DispatchInput } from "../routing/dispatch.ts";
import { stripInternalHeaders } from "../routing/internal-headers.ts";
import { verifiedRoute } from "../routing/route-header.ts";
import type { NextRequestHandler } from "../types/next.ts";
import type { InternalEvent, InternalResult, OpenNextHandler, OpenNextHandlerOptions } from "../types/overrides.ts";
import {
  ISR_HEADER,
  NEXTJS_CACHE,
  PRERENDER_REVALIDATE_HEADER,
  fixCacheControlForError,
  fixCacheHeaderForHtmlPages,
  fixISRHeaders,
  fixSWRCacheHeader,
} from "../utils/cache-headers.ts";
import { withoutBasePath } from "../utils/base-path.ts";
import { addPending, type CacheBackend, drainPending, getStore, runWithRequestContext } from "../utils/context.ts";
import { error } from "../utils/logger.ts";
import { messageGroupId } from "../utils/message-group.ts";
import type { NextFiles } from "./next-files.ts";

export interface RequestHandlerOptions {
  files: NextFiles;
  backend: CacheBackend;
  /** Routes with the Rust router and renders with Next's render server (when the build shipped `routing.json`). */
  dispatch?: (input: DispatchInput) => Promise<void>;
  /** Otherwise: Next's own server, routing included. */
  nextHandler?: NextRequestHandler;
  /** Authorizes `x-prerender-revalidate` (the revalidation requests of the queue). */
  previewModeId?: string;
  /** With external middleware: the key its signed routing decisions verify with. */
  routeKey?: string;
}

/** The app path of a request path: without the basePath. */
function pagePath(rawPath: string, files: NextFiles): string {
  return withoutBasePath(rawPath, files.config.basePath ?? "");
}

function localizedPath(event: InternalEvent, files: NextFiles): string {
  const p = pagePath(event.rawPath, files);
  const i18n = files.config.i18n;
  if (!i18n) return p;
  const first = p.split("/")[1]?.toLowerCase();
  if (i18n.locales.some((l) => l.toLowerCase() === first)) return p;
  const cookieLocale = event.cookies.NEXT_LOCALE;
  const locale = cookieLocale && i18n.locales.includes(cookieLocale) ? cookieLocale : i18n.defaultLocale;
  return p === "/" ? `/${locale}` : `/${locale}${p}`;
}

function fixHeaders(event: InternalEvent, files: NextFiles, headers: Record<string, HeaderValue>, statusCode: number): void {
  fixCacheHeaderForHtmlPages(
    event.rawPath,
    {
      localizedPath: localizedPath(event, files),
      htmlPages: files.htmlPages,
      isMiddlewarePrefetch: event.headers["x-middleware-prefetch"] !== undefined,
    },
    headers,
  );
  fixSWRCacheHeader(headers);
  if (files.config.poweredByHeader !== false) headers["x-opennext"] = "1";
  if (process.env.OPEN_NEXT_REQUEST_ID_HEADER) {
    const id = getStore()?.requestId;
    if (id) headers["x-opennext-requestid"] = id;
  }
  fixISRHeaders(headers);
  fixCacheControlForError(headers, statusCode);
}

/** Sends a stale page to the queue for regeneration. */
async function revalidateIfStale(backend: CacheBackend, event: InternalEvent, result: InternalResult): Promise<void> {
  if (result.headers[NEXTJS_CACHE] !== "STALE") return;
  const lastModified = getStore()?.lastModified ?? 0;
  const eTag = String(result.headers.etag ?? "");
  const host = event.headers.host ?? new URL(event.url).host;
  try {
    await backend.queue.send({
      MessageBody: { host, url: event.rawPath, eTag, lastModified },
      MessageDeduplicationId: createHash("md5").update(`${event.rawPath}-${lastModified}-${eTag}`).digest("hex"),
      MessageGroupId: messageGroupId(event.rawPath),
    });
  } catch (e) {
    error("failed to queue the revalidation of", event.rawPath, e);
  }
}

/**
 * A regeneration request from the queue (`x-isr: 1` with the preview id in
 * `x-prerender-revalidate`, as the revalidation function and the `direct`
 * queue send it).
 */
function isQueuedRegeneration(event: InternalEvent, previewModeId: string | undefined): boolean {
  return event.headers[ISR_HEADER] === "1" && !!previewModeId && event.headers[PRERENDER_REVALIDATE_HEADER] === previewModeId;
}

/**
 * Answers a regeneration once Next's background work is done: `REVALIDATED`
 * when the entry was written again during the request or was fresh already
 * (`HIT`: another request regenerated it), Next's own answer otherwise (then
 * the queue retries).
 */
async function answerRegeneration(
  res: InternalResponse,
  result: InternalResult,
  options?: OpenNextHandlerOptions,
): Promise<InternalResult> {
  const store = getStore();
  if (store) await drainPending(store);
  const cache = result.headers[NEXTJS_CACHE];
  const extra: Record<string, string> = {};
  if (res.statusCode < 500 && (store?.wroteCacheEntry || cache === "HIT")) {
    extra[NEXTJS_CACHE] = "REVALIDATED";
    result.headers[NEXTJS_CACHE] = "REVALIDATED";
  }
  if (options?.streamCreator) res.replay(options.streamCreator, extra);
  return result;
}

function failed(res: InternalResponse, event: InternalEvent, e: unknown): void {
  error("Next.js failed to handle", event.method, event.url, e);
  if (!res.headersSent) {
    res.statusCode = 500;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end("Internal Server Error");
  } else if (!res.writableEnded) {
    res.destroy(e instanceof Error ? e : undefined);
  }
}

export function createRequestHandler({
  files,
  backend,
  dispatch,
  nextHandler,
  previewModeId,
  routeKey,
}: RequestHandlerOptions): OpenNextHandler {
  return (event: InternalEvent, options?: OpenNextHandlerOptions) =>
    runWithRequestContext(
      {
        requestId: randomUUID(),
        isISRRevalidation: isQueuedRegeneration(event, previewModeId),
        waitUntil: options?.waitUntil,
        backend,
      },
      async () => {
        // Routed by external middleware: its signed decision is taken as is.
        const routed = routeKey && dispatch ? verifiedRoute(routeKey, event.headers) : undefined;
        const headers = stripInternalHeaders(event.headers, previewModeId);
        if (headers["x-forwarded-host"]) headers.host = headers["x-forwarded-host"];
        if (routed) headers.host = new URL(routed.url).host;
        const regeneration = getStore()?.isISRRevalidation === true;
        if (regeneration) {
          // Not an on-demand revalidation for Next (that would bypass the fetch cache,
          // `unstable_cache` and `'use cache'`): a request that finds the entry stale
          // and regenerates it in the background, as `next start` does.
          delete headers[PRERENDER_REVALIDATE_HEADER];
        } else {
          // Serve stale entries without regenerating them here; the queue does it.
          headers.purpose = "prefetch";
        }
        const res = new InternalResponse({
          // A regeneration's answer waits for the regeneration: made whole, then sent.
          streamCreator: regeneration ? undefined : options?.streamCreator,
          fixHeaders: (h, status) => fixHeaders(event, files, h, status),
        });
        let url: URL | undefined;
        try {
          url = new URL(routed?.url ?? event.url);
        } catch {
          res.statusCode = 400;
          res.setHeader("content-type", "text/plain; charset=utf-8");
          res.end("Bad Request");
        }
        if (!url) {
          await res.done();
          return regeneration ? answerRegeneration(res, res.toInternalResult(), options) : res.toInternalResult();
        }
        try {
          if (dispatch) {
            const preRouted = routed && { decision: routed.decision, headers: { ...headers, ...routed.internalHeaders } };
            await dispatch({ event, url, headers, res, preRouted });
          } else await nextHandler?.(requestForEvent(event, url, headers), res);
        } catch (e) {
          failed(res, event, e);
        }
        await res.done();
        const result = res.toInternalResult();
        if (regeneration) return answerRegeneration(res, result, options);
        addPending(revalidateIfStale(backend, event, result));
        // `res.revalidate()` regenerated this page on demand: the CDN's copy is out of date.
        if (result.headers[NEXTJS_CACHE] === "REVALIDATED" && event.headers[ISR_HEADER] !== "1" && backend.cdn) {
          addPending(invalidatePages(backend.cdn, [backend.cdn.pageOfPath(pagePath(event.rawPath, files))]));
        }
        // The response is already out when it was streamed: preloading then delays nothing.
        if (options?.streamCreator?.retainChunks === false) {
          const preloader = (globalThis as { __next_route_preloader?: (stage: string) => Promise<void> }).__next_route_preloader;
          if (preloader) addPending(preloader("waitUntil"));
        }
        return result;
      },
    );
}
