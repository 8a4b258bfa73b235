/**
 * Wrapper `aws-lambda`: a buffered Lambda handler, `(event, context) => result`.
 * The converter turns the event into an InternalEvent and the handler's whole
 * result back into what the event source takes (API Gateway, function URLs,
 * CloudFront, SQS).
 *
 * - Warmer events (`{ type: "warmer", delay }`, from the warmer function) are
 *   answered after `delay` ms with this instance's id, without rendering, so
 *   that concurrent warmer calls land on distinct instances.
 * - An event the converter cannot read gets a 4xx result in the converter's
 *   shape; the instance keeps serving.
 * - A result over Lambda's 6 MB response payload limit would fail the invocation
 *   with an opaque Lambda error: it becomes a 500 naming the route and the fix.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { InternalResult, Wrapper, WrapperHandler } from "../../types/overrides.ts";
import { isBadEvent } from "../../utils/errors.ts";
import { error } from "../../utils/logger.ts";

/** Lambda's limit for a synchronous invocation's response payload (6 MB). */
export const MAX_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** This instance, as warmer answers name it. */
export const serverId = `server-${randomUUID()}`;

/** A warmer function's call (OpenNext's `WarmerEvent`). */
export interface WarmerEvent {
  type: "warmer";
  warmerId: string;
  index: number;
  concurrency: number;
  delay: number;
}

/** Whether a Lambda event is a warmer call. */
export function isWarmerEvent(event: unknown): event is WarmerEvent {
  return typeof event === "object" && event !== null && (event as { type?: unknown }).type === "warmer";
}

/**
 * Answers a warmer call after its delay, keeping this instance busy meanwhile;
 * with `routePreloadingBehavior: "onWarmerEvent"` the route modules load during it.
 */
export async function warmerResponse(event: WarmerEvent): Promise<{ type: "warmer"; serverId: string }> {
  const delay = Number.isFinite(event.delay) && event.delay > 0 ? Math.min(event.delay, 60_000) : 0;
  const preloader = (globalThis as { __next_route_preloader?: (stage: string) => Promise<void> }).__next_route_preloader;
  await Promise.all([new Promise((resolve) => setTimeout(resolve, delay)), preloader?.("warmerEvent")]);
  return { type: "warmer", serverId };
}

/** A plain-text result, for answers the wrapper gives itself. */
export function textResult(statusCode: number, text: string): InternalResult {
  return {
    type: "core",
    statusCode,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "private, no-cache, no-store, max-age=0, must-revalidate" },
    body: Readable.from([Buffer.from(text)]),
    isBase64Encoded: false,
  };
}

/**
 * The converter's form of a plain-text answer; when even that fails (the event is
 * too broken for the converter), an API Gateway-style result.
 */
export async function convertedText(converter: Parameters<WrapperHandler<any, any>>[1], statusCode: number, text: string, event: unknown) {
  try {
    return await converter.convertTo(textResult(statusCode, text), event);
  } catch {
    return { statusCode, headers: { "content-type": "text/plain; charset=utf-8" }, body: text, isBase64Encoded: false };
  }
}

/**
 * The event read by the converter, or the (logged) {@link BadEventError} it was
 * refused with, for the wrapper to answer; any other failure throws.
 */
export async function convertOrRefuse(converter: Parameters<WrapperHandler<any, any>>[1], event: unknown): Promise<any> {
  try {
    return await converter.convertFrom(event);
  } catch (e) {
    if (!isBadEvent(e)) throw e;
    error("bad event:", e.message);
    return e;
  }
}

/**
 * An upper bound of the bytes of `v` as JSON, without serialising it: a UTF-16
 * unit is at most 6 bytes once escaped (`\u001f`) or encoded (3 bytes of UTF-8).
 * Only a result whose bound passes the limit is serialised to be measured.
 */
function jsonBytesBound(v: unknown): number {
  if (typeof v === "string") return 6 * v.length + 2;
  if (v === null || typeof v !== "object") return 24;
  let n = 2;
  if (Array.isArray(v)) {
    for (const x of v) n += jsonBytesBound(x) + 1;
    return n;
  }
  for (const [k, x] of Object.entries(v)) n += 6 * k.length + 4 + jsonBytesBound(x);
  return n;
}

const wrapper: WrapperHandler<any, any> = async (handler, converter) => async (event: any) => {
  if (isWarmerEvent(event)) return warmerResponse(event);
  const internal = await convertOrRefuse(converter, event);
  if (isBadEvent(internal)) return convertedText(converter, internal.status, `Bad Request: ${internal.message}\n`, event);
  const result = await handler(internal);
  const converted = await converter.convertTo(result, event);
  const size = jsonBytesBound(converted) > MAX_RESPONSE_PAYLOAD_BYTES ? Buffer.byteLength(JSON.stringify(converted) ?? "") : 0;
  if (size > MAX_RESPONSE_PAYLOAD_BYTES) {
    const route = `${internal?.method ?? ""} ${internal?.rawPath ?? ""}`.trim();
    const message = `the response to ${route} is ${size} bytes, over Lambda's 6 MB limit for a buffered response; use a streaming wrapper (override.wrapper: "aws-lambda-streaming") or make the response smaller`;
    error(message);
    return convertedText(converter, 500, `Internal Server Error: ${message}\n`, event);
  }
  return converted;
};

export default {
  name: "aws-lambda",
  wrapper,
  supportStreaming: false,
} satisfies Wrapper<any, any>;
