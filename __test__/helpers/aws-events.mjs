// Lambda events in the shapes AWS documents, built from a plain request
// description, and a client for the Lambda stand-in (`lambda.mjs`).
//
// API Gateway HTTP API / function URL, payload 2.0:
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
// API Gateway REST API proxy integration, payload 1.0:
//   https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, repoRoot, request, startServer } from "./util.mjs";

const now = () => new Date();

function splitTarget(target) {
  const q = target.indexOf("?");
  return q < 0 ? [target, ""] : [target.slice(0, q), target.slice(q + 1)];
}

/** `{ key: [values] }` of a raw query string, values decoded (as API Gateway gives them). */
function multiQuery(raw) {
  const out = {};
  for (const [k, v] of new URLSearchParams(raw)) (out[k] ??= []).push(v);
  return out;
}

/**
 * An HTTP API (payload 2.0) event. `headers` may repeat a name as an array;
 * API Gateway joins repeats with commas and moves cookies to `cookies`.
 */
export function apigwV2Event({
  method = "GET",
  target = "/",
  headers = {},
  cookies,
  body,
  base64 = false,
  host = "abc123.execute-api.us-east-1.amazonaws.com",
}) {
  const [rawPath, rawQueryString] = splitTarget(target);
  const hs = { host, "user-agent": "test-agent", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" };
  for (const [k, v] of Object.entries(headers)) hs[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  const query = multiQuery(rawQueryString);
  const t = now();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers: hs,
    ...(rawQueryString ? { queryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.join(",")])) } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: host,
      domainPrefix: host.split(".")[0],
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "test-agent" },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: "$default",
      stage: "$default",
      time: t.toUTCString(),
      timeEpoch: t.getTime(),
    },
    ...(body !== undefined ? { body: base64 ? Buffer.from(body).toString("base64") : String(body) } : {}),
    isBase64Encoded: base64,
  };
}

/** A REST API proxy-integration (payload 1.0) event. */
export function apigwV1Event({
  method = "GET",
  target = "/",
  headers = {},
  body,
  base64 = false,
  host = "abc123.execute-api.us-east-1.amazonaws.com",
}) {
  const [p, rawQueryString] = splitTarget(target);
  const multi = { Host: [host], "User-Agent": ["test-agent"], "X-Forwarded-Proto": ["https"] };
  for (const [k, v] of Object.entries(headers)) multi[k] = Array.isArray(v) ? v : [v];
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
  const mq = multiQuery(rawQueryString);
  const t = now();
  return {
    resource: "/{proxy+}",
    path: p,
    httpMethod: method,
    headers: single,
    multiValueHeaders: multi,
    queryStringParameters: rawQueryString ? Object.fromEntries(Object.entries(mq).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: rawQueryString ? mq : null,
    pathParameters: { proxy: p.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: host,
      httpMethod: method,
      identity: { sourceIp: "203.0.113.7", userAgent: "test-agent" },
      path: `/prod${p}`,
      protocol: "HTTP/1.1",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTime: t.toUTCString(),
      requestTimeEpoch: t.getTime(),
      resourceId: "123456",
      resourcePath: "/{proxy+}",
      stage: "prod",
    },
    body: body === undefined ? null : base64 ? Buffer.from(body).toString("base64") : String(body),
    isBase64Encoded: base64,
  };
}

/**
 * Starts the Lambda stand-in on the function in `fnDir`; `.invoke(event)` resolves
 * with `{ status, result }` (status 502 when the handler threw). `node` is the
 * command that runs Node and its leading arguments (default: this Node; the arm64
 * tests pass qemu and an arm64 Node).
 */
export async function startLambda(fnDir, { env = {}, exportName, node = [process.execPath], timeoutMs } = {}) {
  const port = await freePort();
  const fn = await startServer(
    node[0],
    [...node.slice(1), path.join(repoRoot, "__test__/helpers/lambda.mjs"), fnDir, ...(exportName ? [exportName] : [])],
    { cwd: fnDir, env: { PORT: String(port), ...env }, url: `http://127.0.0.1:${port}/health`, timeoutMs },
  );
  fn.port = port;
  fn.invoke = async (event) => {
    const r = await request(`http://127.0.0.1:${port}/invoke`, {
      method: "POST",
      body: JSON.stringify(event),
      headers: { "content-type": "application/json" },
      timeoutMs: 60_000,
    });
    return { status: r.status, result: JSON.parse(r.body.toString("utf8")) };
  };
  /**
   * Invokes a streaming handler and reads the answer as a function URL does:
   * the prelude up to the 8 NUL bytes, then the body. `chunks` are the body's
   * pieces with the ms since the call when each arrived.
   */
  fn.invokeStream = (event) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const req = http.request(
        `http://127.0.0.1:${port}/invoke`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          let raw = Buffer.alloc(0);
          let prelude;
          const chunks = [];
          res.on("data", (c) => {
            if (prelude) return chunks.push({ at: Date.now() - t0, data: c });
            raw = Buffer.concat([raw, c]);
            const sep = raw.indexOf(Buffer.alloc(8));
            if (sep < 0) return;
            prelude = JSON.parse(raw.subarray(0, sep).toString("utf8"));
            const rest = raw.subarray(sep + 8);
            if (rest.length) chunks.push({ at: Date.now() - t0, data: rest });
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode,
              contentType: res.headers["content-type"],
              prelude,
              chunks,
              body: Buffer.concat(chunks.map((c) => c.data)),
              raw,
              endedAt: Date.now() - t0,
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(event));
    });
  return fn;
}

/** An SQS event (as Lambda's event source mapping delivers it) of messages received from a queue. */
export function sqsEvent(messages, queueArn = "arn:aws:sqs:us-east-1:123456789012:revalidation.fifo") {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "AIDAIENQZJOLO23YVJ4VO",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        ...(m.Attributes ?? {}),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody,
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: "us-east-1",
    })),
  };
}

/**
 * An HTTPS front for a Lambda stand-in, as API Gateway is one: each request on
 * 127.0.0.1 becomes a payload 2.0 event and the result becomes the response. Its
 * certificate is self-signed for 127.0.0.1 (`.certFile`, for `NODE_EXTRA_CA_CERTS`).
 */
export async function startHttpsApi(fn) {
  const dir = mkdtempSync(path.join(tmpdir(), "https-api-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      delete headers.host;
      const event = apigwV2Event({ method: req.method, target: req.url, headers, host: req.headers.host });
      if (body.length) Object.assign(event, { body: body.toString("base64"), isBase64Encoded: true });
      try {
        const { result } = await fn.invoke(event);
        const out = { ...result.headers };
        if (result.cookies?.length) out["set-cookie"] = result.cookies;
        res.writeHead(result.statusCode, out);
        res.end(Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8"));
      } catch (e) {
        res.writeHead(502);
        res.end(String(e));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { port: server.address().port, certFile: cert, close: () => server.close() };
}
