// A stand-in for the Lambda service running one function, on 127.0.0.1: it
// imports the function's handler module in this process, as Lambda's Node
// runtime does, and invokes `handler(event, context)` for every event POSTed
// to `/invoke` (the response is the JSON result, or `{ errorType, errorMessage }`
// with status 502 when the handler throws, like an invocation error) or to
// Lambda's Invoke API path, `/2015-03-31/functions/<name>/invocations` (status
// 200 and the result; a handler error sets `X-Amz-Function-Error: Unhandled`),
// so an SDK or signed-fetch client pointed here with `AWS_ENDPOINT_URL_LAMBDA`
// invokes it.
//
//   node lambda.mjs <function dir> [handler export, default "handler"]   (PORT in the env)
//
// The working directory is the function directory, as on Lambda (/var/task).
// Stops by itself when its parent goes away.
//
// Response streaming works as in Lambda's Node.js runtime: the `awslambda`
// global's `streamifyResponse` marks a handler as streaming, and it is called
// with `(event, responseStream, context)`. The response stream is the body of
// the `/invoke` answer, chunk for chunk with backpressure; `setContentType` must
// come before the first write (its value is the answer's content type), and
// `HttpResponseStream.from(stream, prelude)` sets the HTTP integration content
// type and puts the JSON prelude and 8 NUL bytes before the first byte written
// (or at the end when nothing is). The invocation ends when the handler's
// promise settles; a stream it has not ended by then is cut off there.
import http from "node:http";
import { Writable } from "node:stream";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

const [dir, exportName = "handler"] = process.argv.slice(2);
process.chdir(dir);
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "open-next-test";
process.env.AWS_REGION ??= "us-east-1";
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const PRELUDE_TYPE = "application/vnd.awslambda.http-integration-response";

/** Lambda's response stream over an HTTP response. */
class ResponseStream extends Writable {
  constructor(res) {
    super();
    this.res = res;
    this.contentType = "application/octet-stream";
    this.started = false;
    this.beforeFirstWrite = undefined;
  }
  setContentType(type) {
    if (this.started) throw new Error("setContentType must be called before the first write");
    this.contentType = type;
  }
  start() {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { "content-type": this.contentType, "x-lambda-streaming": "1" });
    const before = this.beforeFirstWrite;
    this.beforeFirstWrite = undefined;
    before?.((chunk) => this.res.write(chunk));
  }
  _write(chunk, _enc, cb) {
    this.start();
    if (this.res.write(chunk)) cb();
    else this.res.once("drain", () => cb());
  }
  _final(cb) {
    this.start();
    this.res.end(cb);
  }
}

globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = "response";
    return handler;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType(PRELUDE_TYPE);
      const json = JSON.stringify(prelude);
      stream.beforeFirstWrite = (write) => {
        write(json);
        write(Buffer.alloc(8));
      };
      return stream;
    },
  },
};

const mod = await import(pathToFileURL(path.resolve(dir, "index.mjs")).href);
const handler = mod[exportName];
if (typeof handler !== "function") throw new Error(`index.mjs in ${dir} has no ${exportName} export`);

function context() {
  const deadline = Date.now() + 30_000;
  return {
    awsRequestId: randomUUID(),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: "$LATEST",
    memoryLimitInMB: "1024",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true,
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    if (req.url === "/health") return res.end("ok");
    const api = /^\/2015-03-31\/functions\/[^/]+\/invocations$/.test(req.url);
    if (!api && req.url !== "/invoke") {
      res.writeHead(404);
      return res.end();
    }
    if (handler[STREAMING] === "response") {
      const stream = new ResponseStream(res);
      try {
        await handler(JSON.parse(Buffer.concat(chunks).toString("utf8")), stream, context());
      } catch (e) {
        if (!stream.started) {
          res.writeHead(502, { "content-type": "application/json" });
          return res.end(JSON.stringify({ errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) }));
        }
      }
      if (!stream.writableFinished) {
        stream.start();
        res.end();
      }
      return;
    }
    let status = 200;
    const headers = { "content-type": "application/json" };
    let payload;
    try {
      payload = await handler(JSON.parse(Buffer.concat(chunks).toString("utf8")), context());
    } catch (e) {
      if (api) headers["x-amz-function-error"] = "Unhandled";
      else status = 502;
      payload = { errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) };
    }
    res.writeHead(status, headers);
    res.end(JSON.stringify(payload ?? null));
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1");
setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1000).unref();
