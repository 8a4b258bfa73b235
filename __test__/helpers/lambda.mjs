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
import http from "node:http";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

const [dir, exportName = "handler"] = process.argv.slice(2);
process.chdir(dir);
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "open-next-test";
process.env.AWS_REGION ??= "us-east-1";
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
