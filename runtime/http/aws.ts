/**
 * What the AWS converters share: header rules of API Gateway and CloudFront,
 * request validation and body collection.
 */
import { validateHeaderName, validateHeaderValue } from "node:http";
import type { Readable } from "node:stream";
import type { InternalEvent } from "../types/overrides.ts";
import { BadEventError } from "../utils/errors.ts";
import { firstValue, parseCookies, queryFromSearchParams } from "./util.ts";

/**
 * Headers CloudFront refuses from a function (on a generated response or a
 * request it forwards), and hop-by-hop headers. API Gateway results drop them
 * too: a distribution in front of API Gateway fails on some of them.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
 */
const CLOUDFRONT_DISALLOWED = new Set([
  "connection",
  "expect",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "trailer",
  "upgrade",
  "x-accel-buffering",
  "x-accel-charset",
  "x-accel-limit-rate",
  "x-accel-redirect",
  "x-amzn-auth",
  "x-amzn-cf-billing",
  "x-amzn-cf-id",
  "x-amzn-cf-xff",
  "x-amzn-errortype",
  "x-amzn-fle-profile",
  "x-amzn-header-count",
  "x-amzn-header-order",
  "x-amzn-lambda-integration-tag",
  "x-amzn-requestid",
  "x-cache",
  "x-forwarded-proto",
  "x-real-ip",
]);
const CLOUDFRONT_DISALLOWED_PREFIXES = ["x-amz-cf-", "x-edge-"];

/** Whether CloudFront accepts a header of this (lower-case) name from a function. */
export function cloudFrontAllows(name: string): boolean {
  return !CLOUDFRONT_DISALLOWED.has(name) && !CLOUDFRONT_DISALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

/** Reads a result body whole. */
export async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === "string" ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Adds one request header, lower-cased, joining repeats with `,` (`; ` for
 * `cookie`). A name or value Node would refuse is the event's fault.
 */
export function addHeader(headers: Record<string, string>, name: string, value: unknown, source: string): void {
  if (value === undefined || value === null) return;
  const v = String(value);
  try {
    validateHeaderName(name);
    validateHeaderValue(name, v);
  } catch {
    throw new BadEventError(`${source}: invalid header ${JSON.stringify(name)}`);
  }
  const k = name.toLowerCase();
  const prev = headers[k];
  headers[k] = prev === undefined ? v : `${prev}${k === "cookie" ? "; " : ","}${v}`;
}

/**
 * The absolute URL of an API Gateway request: the viewer's host (`x-forwarded-host`
 * when a CDN set it, else `Host`, else the API's domain) and scheme
 * (`x-forwarded-proto`, else https, which is all API Gateway serves).
 */
export function requestUrl(headers: Record<string, string>, domainName: unknown, pathAndQuery: string, source: string): URL {
  const host = firstValue(headers["x-forwarded-host"]) ?? headers.host ?? (typeof domainName === "string" ? domainName : "localhost");
  const proto = firstValue(headers["x-forwarded-proto"]) === "http" ? "http" : "https";
  const path = pathAndQuery.startsWith("/") ? pathAndQuery : `/${pathAndQuery}`;
  try {
    return new URL(`${proto}://${host}${path}`);
  } catch {
    throw new BadEventError(`${source}: cannot make a URL of host ${JSON.stringify(host)} and path ${JSON.stringify(path)}`);
  }
}

/** A request body as sent (base64 when the event says so). */
export function eventBody(body: unknown, isBase64Encoded: unknown): Buffer | undefined {
  if (body === undefined || body === null || body === "") return undefined;
  if (typeof body !== "string") return Buffer.from(JSON.stringify(body));
  return Buffer.from(body, isBase64Encoded === true ? "base64" : "utf8");
}

/** The InternalEvent of an API Gateway request, once its URL and headers are read. */
export function apiGatewayInternalEvent(
  method: string,
  url: URL,
  headers: Record<string, string>,
  event: { body?: unknown; isBase64Encoded?: unknown },
  remoteAddress: unknown,
): InternalEvent {
  return {
    type: "core",
    method,
    rawPath: url.pathname,
    url: url.href,
    body: eventBody(event.body, event.isBase64Encoded),
    headers,
    query: queryFromSearchParams(url.searchParams),
    cookies: parseCookies(headers.cookie),
    remoteAddress: typeof remoteAddress === "string" ? remoteAddress : "::1",
  };
}
