/**
 * Converter for Node's `http` server: IncomingMessage → InternalEvent.
 * Responses are streamed by the wrapper, so `convertTo` only reshapes.
 */
import type { IncomingMessage } from "node:http";
import { firstValue, parseCookies, queryFromSearchParams } from "../../http/util.ts";
import type { Converter, InternalEvent, InternalResult } from "../../types/overrides.ts";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const converter: Converter = {
  name: "node",

  async convertFrom(req: IncomingMessage): Promise<InternalEvent> {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === "") continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
    }
    const host = headers["x-forwarded-host"] ?? headers.host ?? "localhost";
    const protocol =
      firstValue(headers["x-forwarded-proto"]) ?? ((req.socket as { encrypted?: boolean } | null)?.encrypted ? "https" : "http");
    // Concatenated, not resolved: a request line like `//other/path` must stay a path.
    const rawUrl = req.url?.startsWith("/") ? req.url : `/${req.url ?? ""}`;
    let url: URL;
    try {
      url = new URL(`${protocol}://${host}${rawUrl}`);
    } catch {
      url = new URL(`${protocol}://localhost${rawUrl}`);
    }
    return {
      type: "core",
      method: req.method ?? "GET",
      rawPath: url.pathname,
      url: url.href,
      body,
      headers,
      query: queryFromSearchParams(url.searchParams),
      cookies: parseCookies(headers.cookie),
      remoteAddress: firstValue(headers["x-forwarded-for"]) ?? req.socket?.remoteAddress ?? "::1",
    };
  },

  // The node wrapper streams the response itself.
  async convertTo(result: InternalResult) {
    return { statusCode: result.statusCode, headers: result.headers, body: result.body };
  },
};

export default converter;
