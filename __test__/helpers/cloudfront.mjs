// A stand-in for CloudFront with a Lambda@Edge origin-request function, on
// 127.0.0.1: each HTTP request becomes a CloudFront request event (the format
// of the Lambda@Edge docs) for the external middleware's `handler.handler`. A
// generated response is sent back as CloudFront would send it; a returned
// request is forwarded, as CloudFront forwards it, to the custom origin it names
// (`domainName`, `port`, `protocol`) with its `uri`, `querystring` and headers.
//
//   node cloudfront.mjs <.open-next/middleware/handler.mjs>   (PORT, OPEN_NEXT_ORIGIN in the env)
//
// Responses say which way they went in `x-cf-stand-in` (`generated` by the edge
// function, or `forwarded` to the origin). Stops by itself when its parent goes away.
// `CF_EVENT_TYPE=viewer-request` makes it a viewer-request trigger instead. As
// CloudFront does, it gives the function at most 40 KB (viewer) or 1 MB (origin) of
// a request body (`inputTruncated`, the whole body still goes to the origin) and
// answers 502 to a generated response over that size, headers and body.
import http from "node:http";
import { pathToFileURL } from "node:url";

const [handlerFile] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(handlerFile).href);
const port = Number(process.env.PORT);
const eventType = process.env.CF_EVENT_TYPE ?? "origin-request";
const limit = eventType === "viewer-request" ? 40_000 : 1_000_000;

/** Node request headers → CloudFront's `{ name: [{ key, value }] }`. */
function cfHeaders(raw) {
  const out = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i];
    const name = key.toLowerCase();
    (out[name] ??= []).push({ key, value: raw[i + 1] });
  }
  return out;
}

function event(req, body) {
  // The request target as sent (`//a` is a path here, not a host).
  const q = req.url.indexOf("?");
  const u = { pathname: q < 0 ? req.url : req.url.slice(0, q), search: q < 0 ? "" : req.url.slice(q) };
  return {
    Records: [
      {
        cf: {
          config: { distributionDomainName: "d123.cloudfront.net", distributionId: "E123", eventType, requestId: "r" },
          request: {
            clientIp: "203.0.113.10",
            method: req.method,
            uri: u.pathname,
            querystring: u.search.slice(1),
            headers: cfHeaders(req.rawHeaders),
            ...(body.length
              ? {
                  body: {
                    action: "read-only",
                    data: body.subarray(0, limit).toString("base64"),
                    encoding: "base64",
                    inputTruncated: body.length > limit,
                  },
                }
              : {}),
            origin: {
              custom: {
                customHeaders: {},
                domainName: "origin.invalid",
                keepaliveTimeout: 5,
                path: "",
                port: 443,
                protocol: "https",
                readTimeout: 30,
                sslProtocols: ["TLSv1.2"],
              },
            },
          },
        },
      },
    ],
  };
}

/** CloudFront headers as Node headers (repeated response `set-cookie` stays a list). */
function flatHeaders(cf) {
  const out = {};
  for (const [name, list] of Object.entries(cf ?? {})) {
    const values = list.map((h) => h.value);
    out[name] = name === "set-cookie" ? values : values.join(name === "cookie" ? "; " : ", ");
  }
  return out;
}

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  try {
    const out = await handler(event(req, body), {});
    if (out.status) {
      let size = Buffer.byteLength(out.body ?? "");
      for (const [name, list] of Object.entries(out.headers ?? {})) for (const h of list) size += name.length + h.value.length;
      if (size > limit) {
        res.writeHead(502, { "content-type": "text/plain", "x-cf-stand-in": "too-large" });
        res.end(`the Lambda function returned a response of ${size} bytes, over the ${limit} of a ${eventType} trigger`);
        return;
      }
      res.writeHead(Number(out.status), { ...flatHeaders(out.headers), "x-cf-stand-in": "generated" });
      res.end(out.body ? Buffer.from(out.body, out.bodyEncoding === "base64" ? "base64" : "utf8") : undefined);
      return;
    }
    const origin = out.origin?.custom;
    if (!origin) throw new Error(`the request has no custom origin: ${JSON.stringify(out.origin)}`);
    if (origin.protocol !== "http") throw new Error(`this stand-in only forwards over http, got ${origin.protocol}`);
    const headers = flatHeaders(out.headers);
    for (const [k, v] of Object.entries(flatHeaders(origin.customHeaders))) headers[k] = v;
    const fwd = http.request(
      {
        host: origin.domainName,
        port: origin.port,
        method: out.method,
        path: `${out.uri}${out.querystring ? `?${out.querystring}` : ""}`,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode, { ...up.headers, "x-cf-stand-in": "forwarded" });
        up.pipe(res);
      },
    );
    fwd.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    fwd.end(body);
  } catch (e) {
    console.error(e);
    res.writeHead(503, { "content-type": "text/plain" });
    res.end(`lambda@edge failed: ${e?.stack ?? e}`);
  }
});
server.listen(port, "127.0.0.1");
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1000).unref();
