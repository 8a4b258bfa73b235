/**
 * `proxyExternalRequest: "fetch"`: proxies with the global `fetch` (undici),
 * which decodes compressed bodies itself.
 */
import { Readable } from "node:stream";
import type { InternalEvent, InternalResult, ProxyExternalRequest } from "../../types/overrides.ts";
import { isBinaryContentType } from "../../utils/binary.ts";
import { proxiedHeaders } from "./headers.ts";
import { platformFetch } from "../../utils/platform-fetch.ts";

const proxy: ProxyExternalRequest = {
  name: "fetch-proxy",
  async proxy(event: InternalEvent): Promise<InternalResult> {
    const requestHeaders = proxiedHeaders(event.headers) as Record<string, string>;
    delete requestHeaders["cf-connecting-ip"];
    const response = await platformFetch(event.url, {
      method: event.method,
      headers: requestHeaders,
      body: event.method === "GET" || event.method === "HEAD" ? undefined : event.body,
      redirect: "manual",
    });
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, key) => {
      headers[key] = key === "set-cookie" ? response.headers.getSetCookie() : value;
    });
    return {
      type: "core",
      statusCode: response.status,
      headers: proxiedHeaders(headers),
      body: response.body ? Readable.fromWeb(response.body as any) : Readable.from([]),
      isBase64Encoded: isBinaryContentType(response.headers.get("content-type") ?? ""),
    };
  },
};

export default proxy;
