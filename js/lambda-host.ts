/**
 * How `open-next preview` runs a function built for AWS Lambda: the bundle's
 * `handler` export is called in this process with the event the origin's
 * converter expects, built from the HTTP request as API Gateway builds it
 * (HTTP API payload 2.0 for `aws-apigw-v2`, REST proxy payload 1.0 for
 * `aws-apigw-v1`), and its result is written back as API Gateway would.
 *
 * For `aws-lambda-streaming` the `awslambda` global of Lambda's Node.js runtime
 * is provided (`streamifyResponse`, `HttpResponseStream.from`): the prelude
 * becomes the status and headers, the rest streams to the client.
 */
import { randomUUID } from "node:crypto";
import { register } from "node:module";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The wrappers and converters this host can drive. */
export const LAMBDA_WRAPPERS = new Set(["aws-lambda", "aws-lambda-compressed", "aws-lambda-streaming", "aws-apigw-streaming"]);
export const API_CONVERTERS = new Set(["aws-apigw-v2", "aws-apigw-v1"]);

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

/**
 * Adds Lambda's streaming API to the `awslambda` global. The AWS SDK may have made
 * that global already (`@aws/lambda-invoke-store` keeps its store there), so the
 * members are added to it rather than the object replaced or left alone.
 */
function installAwsLambdaGlobal(): void {
  const g = globalThis as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  g.awslambda.streamifyResponse ??= (handler: any) => {
    handler[STREAMING] = "response";
    return handler;
  };
  g.awslambda.HttpResponseStream ??= {
    from(stream: PreludeStream, prelude: PreludeStream["prelude"]) {
      stream.prelude = prelude;
      return stream;
    },
  };
}

/** Lambda's response stream, writing to an HTTP response once the prelude is known. */
class PreludeStream extends Writable {
  prelude?: { statusCode: number; headers?: Record<string, string>; cookies?: string[]; multiValueHeaders?: Record<string, string[]> };
  private started = false;
  private readonly res: ServerResponse;
  constructor(res: ServerResponse) {
    super();
    this.res = res;
  }
  setContentType(_type: string): void {}
  private start(): void {
    if (this.started) return;
    this.started = true;
    const p = this.prelude ?? { statusCode: 200, headers: { "content-type": "application/octet-stream" } };
    const headers: Record<string, string | string[]> = { ...(p.headers ?? {}), ...(p.multiValueHeaders ?? {}) };
    if (p.cookies?.length) headers["set-cookie"] = p.cookies;
    this.res.writeHead(p.statusCode, headers);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.start();
    if (this.res.write(chunk)) cb();
    else this.res.once("drain", () => cb());
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.start();
    this.res.end(() => cb());
  }
}

/**
 * Lambda's limit on a synchronous invocation's payload, the event JSON: 6 MB.
 * A request whose event would be larger never reaches the function on AWS.
 */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;

/** The request body, or `undefined` once it is already over the event limit (the rest is not buffered). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_EVENT_BYTES) {
        chunks.length = 0;
        req.pause();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** API Gateway's answer when Lambda refuses an event over its payload limit, and the log line saying so. */
function tooLarge(req: IncomingMessage, res: ServerResponse, bytes: number | undefined): void {
  const size = bytes === undefined ? `over ${MAX_EVENT_BYTES}` : String(bytes);
  console.error(
    `[open-next] ${req.method} ${req.url}: the Lambda event would be ${size} bytes, over Lambda's 6 MB invocation payload limit, so AWS refuses it before the function runs; send large uploads to S3 directly (a presigned URL) instead`,
  );
  res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ message: "Request Entity Too Large" }));
}

function splitTarget(url: string): [string, string] {
  const q = url.indexOf("?");
  return q < 0 ? [url, ""] : [url.slice(0, q), url.slice(q + 1)];
}

/** The API Gateway event of an HTTP request, in the converter's payload version. */
export function apiGatewayEvent(converter: string, req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const [path, rawQuery] = splitTarget(req.url ?? "/");
  const host = req.headers.host ?? "localhost";
  // As API Gateway adds them, for the scheme and port preview serves (unless a proxy in front set them).
  const forwarded: Record<string, string> = {};
  if (req.headers["x-forwarded-proto"] === undefined) forwarded["x-forwarded-proto"] = "http";
  if (req.headers["x-forwarded-port"] === undefined && req.socket.localPort) forwarded["x-forwarded-port"] = String(req.socket.localPort);
  const sourceIp = req.socket.remoteAddress ?? "127.0.0.1";
  const now = new Date();
  const bodyFields = body.length ? { body: body.toString("base64"), isBase64Encoded: true } : { isBase64Encoded: false };
  if (converter === "aws-apigw-v1") {
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) (multiValueHeaders[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1]);
    for (const [k, v] of Object.entries(forwarded)) multiValueHeaders[k] = [v];
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(rawQuery)) (multiQuery[k] ??= []).push(v);
    return {
      resource: "/{proxy+}",
      path,
      httpMethod: req.method,
      headers: Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]])),
      multiValueHeaders,
      queryStringParameters: rawQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]])) : null,
      multiValueQueryStringParameters: rawQuery ? multiQuery : null,
      pathParameters: { proxy: path.slice(1) },
      stageVariables: null,
      requestContext: {
        domainName: host,
        httpMethod: req.method,
        identity: { sourceIp },
        path,
        protocol: `HTTP/${req.httpVersion}`,
        requestId: randomUUID(),
        requestTimeEpoch: now.getTime(),
        resourcePath: "/{proxy+}",
        stage: "$default",
      },
      body: body.length ? body.toString("base64") : null,
      isBase64Encoded: body.length > 0,
    };
  }
  const headers: Record<string, string> = { ...forwarded };
  let cookies: string[] | undefined;
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === "cookie") cookies = (Array.isArray(v) ? v.join("; ") : v).split(/;\s*/).filter(Boolean);
    else headers[k] = Array.isArray(v) ? v.join(",") : v;
  }
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: rawQuery,
    ...(cookies ? { cookies } : {}),
    headers,
    requestContext: {
      domainName: host,
      http: { method: req.method, path, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers["user-agent"] ?? "" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...bodyFields,
  };
}

/** Writes an API Gateway result (either payload version) to the response. */
function writeResult(res: ServerResponse, result: any): void {
  if (!result || typeof result.statusCode !== "number") {
    res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
    res.end(`open-next preview: the function returned no API Gateway result: ${JSON.stringify(result)?.slice(0, 300)}`);
    return;
  }
  const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v as string[];
  if (Array.isArray(result.cookies) && result.cookies.length) headers["set-cookie"] = result.cookies;
  res.writeHead(result.statusCode, headers);
  res.end(Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8"));
}

/**
 * Loads a Lambda function bundle and returns an HTTP handler that invokes it the
 * way API Gateway would.
 */
/**
 * Lambda's Node.js runtime provides the AWS SDK v3, and the functions leave it out of
 * their bundles where OpenNext does (the image function's `s3` loader, the
 * initializer). As that runtime, preview resolves `@aws-sdk/*` the function cannot
 * find from this package's own dependencies (a module resolution hook).
 */
let sdkHook = false;
function provideAwsSdk(): void {
  if (sdkHook || typeof register !== "function") return;
  sdkHook = true;
  const hook = `
const fallback = ${JSON.stringify(import.meta.url)};
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (!specifier.startsWith("@aws-sdk/") || context.parentURL === fallback) throw e;
    return next(specifier, { ...context, parentURL: fallback });
  }
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
}

export async function loadLambdaOrigin(file: string, converter: string, name: string): Promise<NodeHandler> {
  installAwsLambdaGlobal();
  provideAwsSdk();
  const { pathToFileURL } = await import("node:url");
  const mod = (await import(pathToFileURL(file).href)) as { handler?: any };
  const handler = mod.handler;
  if (typeof handler !== "function") throw new Error(`${file} has no handler export`);
  const context = () => ({
    awsRequestId: randomUUID(),
    functionName: name,
    getRemainingTimeInMillis: () => 30_000,
    callbackWaitsForEmptyEventLoop: true,
  });
  return async (req, res) => {
    const body = await readBody(req);
    if (body === undefined) return tooLarge(req, res, undefined);
    const event = apiGatewayEvent(converter, req, body);
    // A body is base64 in the event (4/3 of its size); only a large one can reach the limit.
    if (body.length > MAX_EVENT_BYTES / 2) {
      const bytes = Buffer.byteLength(JSON.stringify(event));
      if (bytes > MAX_EVENT_BYTES) return tooLarge(req, res, bytes);
    }
    if (handler[STREAMING] === "response") {
      const stream = new PreludeStream(res);
      await handler(event, stream, context());
      if (!stream.writableFinished) stream.end();
      return;
    }
    writeResult(res, await handler(event, context()));
  };
}
