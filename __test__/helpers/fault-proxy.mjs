// A fault-injecting proxy on 127.0.0.1 in front of moto: every request is
// forwarded unless the current rule answers it instead (an AWS error, a
// throttling reply) or delays it. Rules see the service call as
// `{ method, url, target }` (`target`: the X-Amz-Target of JSON-protocol calls,
// e.g. `AmazonSQS.SendMessage`). `.calls` counts what each target or method saw.
import http from "node:http";

/** Starts the proxy; `.endpoint` is its URL, `.rule = (call) => reply | undefined`. */
export async function startFaultProxy(upstream) {
  const target = new URL(upstream);
  const proxy = {
    rule: () => undefined,
    calls: {},
    endpoint: "",
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const call = { method: req.method, url: req.url, target: req.headers["x-amz-target"] };
      const name = call.target ?? `${req.method} S3`;
      proxy.calls[name] = (proxy.calls[name] ?? 0) + 1;
      const reply = proxy.rule(call);
      if (reply?.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (reply?.status) {
        res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/x-amz-json-1.0", ...(reply.headers ?? {}) });
        return res.end(reply.body ?? "");
      }
      if (reply?.destroy) return req.socket.destroy();
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  proxy.endpoint = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => server.close();
  return proxy;
}

/** AWS JSON-protocol error bodies and S3 XML errors, as the services send them. */
export const faults = {
  sqsDown: {
    status: 500,
    body: JSON.stringify({ __type: "com.amazonaws.sqs#InternalError", message: "We encountered an internal error" }),
  },
  ddbThrottled: {
    status: 400,
    body: JSON.stringify({
      __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
      message: "The level of configured provisioned throughput for the table was exceeded",
    }),
  },
  s3SlowDown: {
    status: 503,
    contentType: "application/xml",
    body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
  },
};
