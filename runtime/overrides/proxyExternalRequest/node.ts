/**
 * `proxyExternalRequest: "node"` (OpenNext's default): proxies with Node's
 * `http`/`https` client. Hop-by-hop headers are dropped both ways and a
 * gzip/brotli/deflate body is decoded, so the response can be re-encoded by
 * whatever sits in front.
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import type { InternalEvent, InternalResult, ProxyExternalRequest } from "../../types/overrides.ts";
import { isBinaryContentType } from "../../utils/binary.ts";
import { proxiedHeaders } from "./headers.ts";

function decoded(res: http.IncomingMessage): Readable {
  switch (String(res.headers["content-encoding"] ?? "").toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return res.pipe(zlib.createGunzip());
    case "br":
      return res.pipe(zlib.createBrotliDecompress());
    case "deflate":
      return res.pipe(zlib.createInflate());
    default:
      return res;
  }
}

const proxy: ProxyExternalRequest = {
  name: "node-proxy",
  proxy: (event: InternalEvent) =>
    new Promise<InternalResult>((resolve, reject) => {
      const url = new URL(event.url);
      const client = url.protocol === "http:" ? http : https;
      const req = client.request(
        url,
        { method: event.method, headers: proxiedHeaders(event.headers) as http.OutgoingHttpHeaders },
        (res) => {
          const body = decoded(res);
          body.on("error", reject);
          resolve({
            type: "core",
            statusCode: res.statusCode ?? 200,
            headers: proxiedHeaders(res.headers),
            body,
            isBase64Encoded: isBinaryContentType(String(res.headers["content-type"] ?? "")),
          });
        },
      );
      req.on("error", reject);
      if (event.body && event.method !== "GET" && event.method !== "HEAD") req.write(event.body);
      req.end();
    }),
};

export default proxy;
