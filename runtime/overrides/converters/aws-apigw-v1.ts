/**
 * Converter `aws-apigw-v1`: API Gateway REST API events (and HTTP API payload
 * format 1.0) in, their results out.
 *
 * - Repeated headers and query keys come from `multiValueHeaders` and
 *   `multiValueQueryStringParameters` (the single-value maps keep only the last).
 * - Response headers with several values (`Set-Cookie`) go back in
 *   `multiValueHeaders`, the others in `headers`.
 * - Bodies are base64 both ways when binary (`isBase64Encoded`).
 *
 * Format: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import { addHeader, apiGatewayInternalEvent, collect, requestUrl } from "../../http/aws.ts";
import { splitSetCookie } from "../../http/util.ts";
import type { Converter, InternalEvent, InternalResult } from "../../types/overrides.ts";
import { BadEventError } from "../../utils/errors.ts";
import { singleValueHeaders } from "./aws-apigw-v2.ts";

const SOURCE = "aws-apigw-v1";

/** The result shape of a REST API Lambda proxy integration. */
export interface ApiGatewayV1Result {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

function search(event: any): string {
  const params = new URLSearchParams();
  const multi = event.multiValueQueryStringParameters;
  if (multi && typeof multi === "object") {
    for (const [k, values] of Object.entries(multi)) {
      for (const v of Array.isArray(values) ? values : [values]) if (v !== undefined && v !== null) params.append(k, String(v));
    }
  } else if (event.queryStringParameters && typeof event.queryStringParameters === "object") {
    for (const [k, v] of Object.entries(event.queryStringParameters)) if (v !== undefined && v !== null) params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

const converter: Converter = {
  name: SOURCE,

  async convertFrom(event: any): Promise<InternalEvent> {
    if (typeof event?.httpMethod !== "string" || typeof event?.path !== "string") {
      throw new BadEventError(`${SOURCE}: not an API Gateway REST API (payload format 1.0) event: httpMethod and path are required`);
    }
    const headers: Record<string, string> = {};
    const multi = event.multiValueHeaders && typeof event.multiValueHeaders === "object" ? event.multiValueHeaders : {};
    for (const [name, values] of Object.entries(multi)) {
      for (const v of Array.isArray(values) ? values : [values]) addHeader(headers, name, v, SOURCE);
    }
    const seen = new Set(Object.keys(multi).map((k) => k.toLowerCase()));
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (!seen.has(name.toLowerCase())) addHeader(headers, name, value, SOURCE);
    }
    const url = requestUrl(headers, event.requestContext?.domainName, `${event.path}${search(event)}`, SOURCE);
    return apiGatewayInternalEvent(event.httpMethod, url, headers, event, event.requestContext?.identity?.sourceIp);
  },

  async convertTo(result: InternalResult): Promise<ApiGatewayV1Result> {
    const body = await collect(result.body);
    const cookies = splitSetCookie(result.headers["set-cookie"]);
    return {
      statusCode: result.statusCode,
      headers: singleValueHeaders(result.headers),
      multiValueHeaders: cookies.length > 0 ? { "set-cookie": cookies } : {},
      body: body.toString(result.isBase64Encoded ? "base64" : "utf8"),
      isBase64Encoded: result.isBase64Encoded,
    };
  },
};

export default converter;
