/**
 * Converter `aws-cloudfront`: Lambda@Edge request events (viewer or origin
 * request) in, CloudFront request results out.
 *
 * - An InternalResult becomes a generated response (`status`, `headers`,
 *   `body`, `bodyEncoding`), without the headers CloudFront refuses from an
 *   edge function.
 * - The event type sets `maxResponseBytes` (what CloudFront takes from the
 *   function), and `inputTruncated` sets `bodyTruncated`.
 * - A MiddlewareResult (external middleware forwarding the request) becomes
 *   the request CloudFront sends on: its `uri`, `querystring` and headers,
 *   and the custom origin the origin resolver picked (`host`, `port`,
 *   `protocol`), with `Host` set to that origin.
 *
 * Header rules: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-function-restrictions-all.html
 */
import { cloudFrontAllows, collect } from "../../http/aws.ts";
import { firstValue, queryFromSearchParams } from "../../http/util.ts";
import { BadEventError } from "../../utils/errors.ts";
import type { Converter, InternalEvent, InternalResult, MiddlewareResult } from "../../types/overrides.ts";

type CfHeaders = Record<string, { key?: string; value: string }[]>;

interface CfRequest {
  clientIp: string;
  method: string;
  uri: string;
  querystring: string;
  headers: CfHeaders;
  body?: { data: string; encoding: "base64" | "text"; inputTruncated?: boolean; action?: string };
  origin?: { custom?: Record<string, unknown>; s3?: Record<string, unknown> };
}

interface CfEvent {
  Records: { cf: { config?: { eventType?: string } & Record<string, unknown>; request: CfRequest } }[];
}

/** Read-only on a generated response (CloudFront sets them itself). */
const READ_ONLY_ON_RESPONSE = new Set([
  "accept-encoding",
  "content-length",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "transfer-encoding",
  "via",
]);

/**
 * The largest response an edge function may generate, headers and body (the
 * Lambda@Edge quotas: 40 KB for viewer requests, 1 MB for origin requests; counted
 * here in decimal units, the smaller reading).
 */
const VIEWER_REQUEST_RESPONSE_BYTES = 40_000;
const ORIGIN_REQUEST_RESPONSE_BYTES = 1_000_000;

function fromCfHeaders(headers: CfHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, list] of Object.entries(headers)) {
    const k = name.toLowerCase();
    const values = list.map((h) => h.value).filter((v) => v !== undefined && v !== "");
    if (values.length) out[k] = values.join(k === "cookie" ? "; " : ", ");
  }
  return out;
}

function toCfHeaders(headers: Record<string, string | string[]>, response: boolean): CfHeaders {
  const out: CfHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const k = name.toLowerCase();
    if (!cloudFrontAllows(k) || (response && READ_ONLY_ON_RESPONSE.has(k))) continue;
    const values = Array.isArray(value) ? value : [String(value)];
    out[k] = [...(out[k] ?? []), ...values.map((v) => ({ key: name, value: v }))];
  }
  return out;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const converter: Converter<InternalEvent, InternalResult | MiddlewareResult> = {
  name: "aws-cloudfront",

  async convertFrom(event: CfEvent): Promise<InternalEvent> {
    const request = event?.Records?.[0]?.cf?.request;
    if (!request?.uri) throw new BadEventError("aws-cloudfront: the event is not a CloudFront request event (no Records[0].cf.request)");
    const headers = fromCfHeaders(request.headers ?? {});
    const proto = headers["cloudfront-forwarded-proto"] === "http" ? "http" : "https";
    // The viewer's host: CloudFront sends the origin's as Host unless the Host is forwarded; a
    // viewer-request function forwards the viewer's as x-forwarded-host.
    const host = firstValue(headers["x-forwarded-host"]) ?? headers.host ?? "localhost";
    const qs = request.querystring ? `?${request.querystring}` : "";
    const url = new URL(`${proto}://${host}${request.uri}${qs}`);
    const body = request.body?.data ? Buffer.from(request.body.data, request.body.encoding === "base64" ? "base64" : "utf8") : undefined;
    const eventType = event.Records[0].cf.config?.eventType;
    return {
      type: "core",
      method: request.method,
      rawPath: request.uri,
      url: url.toString(),
      body,
      headers,
      query: queryFromSearchParams(url.searchParams),
      cookies: parseCookies(headers.cookie),
      remoteAddress: request.clientIp,
      maxResponseBytes: eventType === "viewer-request" ? VIEWER_REQUEST_RESPONSE_BYTES : ORIGIN_REQUEST_RESPONSE_BYTES,
      bodyTruncated: request.body?.inputTruncated === true,
    };
  },

  async convertTo(result, original?: CfEvent) {
    if (result.type === "middleware") {
      const request = original?.Records?.[0]?.cf?.request;
      const event = result.internalEvent;
      const url = new URL(event.url);
      const headers: Record<string, string | string[]> = { ...event.headers };
      let origin = request?.origin;
      if (result.origin) {
        const { host, port, protocol, customHeaders } = result.origin;
        const custom = (request?.origin?.custom ?? {}) as Record<string, unknown>;
        origin = {
          custom: {
            readTimeout: 30,
            keepaliveTimeout: 5,
            sslProtocols: ["TLSv1.2"],
            path: "",
            ...custom,
            domainName: host,
            port: port ?? (protocol === "http" ? 80 : 443),
            protocol: protocol ?? "https",
            customHeaders: toCfHeaders(customHeaders ?? {}, false),
          },
        };
        headers.host = host;
      }
      return {
        clientIp: request?.clientIp ?? event.remoteAddress,
        method: event.method,
        uri: url.pathname,
        querystring: url.search.replace(/^\?/, ""),
        headers: toCfHeaders(headers, false),
        ...(origin ? { origin } : {}),
        ...(request?.body ? { body: request.body } : {}),
      };
    }
    const body = await collect(result.body);
    const text = !result.isBase64Encoded;
    return {
      status: String(result.statusCode),
      statusDescription: String(result.statusCode),
      headers: toCfHeaders(result.headers, true),
      bodyEncoding: text ? "text" : "base64",
      body: text ? body.toString("utf8") : body.toString("base64"),
    };
  },
};

export default converter;
