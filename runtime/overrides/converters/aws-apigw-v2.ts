/**
 * Converter `aws-apigw-v2`: API Gateway HTTP API events (payload format 2.0) and
 * Lambda function URL events in, their results out.
 *
 * - Request cookies arrive in `cookies` (API Gateway takes them out of the
 *   headers) and become one `cookie` header; response cookies go back in
 *   `cookies`, one entry per `Set-Cookie`, since `headers` can hold only one value.
 * - Bodies are base64 both ways when binary (`isBase64Encoded`).
 * - The URL's host is the viewer's: `x-forwarded-host` (set by a CDN in front),
 *   else `Host`, else `requestContext.domainName`.
 *
 * Formats: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * and https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
import { addHeader, apiGatewayInternalEvent, cloudFrontAllows, collect, requestUrl } from "../../http/aws.ts";
import { splitSetCookie } from "../../http/util.ts";
import type { Converter, InternalEvent, InternalResult } from "../../types/overrides.ts";
import { BadEventError } from "../../utils/errors.ts";

const SOURCE = "aws-apigw-v2";

/** The result shape API Gateway (payload 2.0) and function URLs take. */
export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** Response headers in API Gateway's single-value shape (cookies go apart). */
export function singleValueHeaders(headers: InternalResult["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const k = name.toLowerCase();
    if (k === "set-cookie" || !cloudFrontAllows(k) || value === undefined || value === null) continue;
    out[k] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

const converter: Converter = {
  name: SOURCE,

  async convertFrom(event: any): Promise<InternalEvent> {
    const method = event?.requestContext?.http?.method;
    if (typeof event?.rawPath !== "string" || typeof method !== "string") {
      throw new BadEventError(
        `${SOURCE}: not an API Gateway HTTP API (payload format 2.0) or function URL event: rawPath and requestContext.http.method are required`,
      );
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) addHeader(headers, name, value, SOURCE);
    if (Array.isArray(event.cookies) && event.cookies.length > 0) {
      for (const c of event.cookies) addHeader(headers, "cookie", c, SOURCE);
    }
    const qs = typeof event.rawQueryString === "string" && event.rawQueryString !== "" ? `?${event.rawQueryString}` : "";
    const url = requestUrl(headers, event.requestContext.domainName, `${event.rawPath}${qs}`, SOURCE);
    return apiGatewayInternalEvent(method, url, headers, event, event.requestContext.http.sourceIp);
  },

  async convertTo(result: InternalResult): Promise<ApiGatewayV2Result> {
    const body = await collect(result.body);
    return {
      statusCode: result.statusCode,
      headers: singleValueHeaders(result.headers),
      cookies: splitSetCookie(result.headers["set-cookie"]),
      body: body.toString(result.isBase64Encoded ? "base64" : "utf8"),
      isBase64Encoded: result.isBase64Encoded,
    };
  },
};

export default converter;
