/**
 * Wrapper for a long-running Node process.
 *
 * Without `OPEN_NEXT_PREVIEW`, starts an `http` server on `PORT` (default 3000;
 * host `HOST` when set, all interfaces otherwise, like OpenNext's node wrapper;
 * `KEEP_ALIVE_TIMEOUT` in ms like Next's standalone server) and serves every request
 * through converter → handler, streaming the response. `/__health` answers `OK`.
 *
 * With `OPEN_NEXT_PREVIEW` set, it does not listen: it registers
 * `globalThis.__OPEN_NEXT_PREVIEW_HANDLERS__[functionName] = (req, res) => Promise<void>`
 * so that the preview server can dispatch to it in-process.
 *
 * Either way the wrapper resolves to that `(req, res)` function.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { StreamCreator, Wrapper, WrapperHandler } from "../../types/overrides.ts";
import { debug, error } from "../../utils/logger.ts";

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

declare global {
  // eslint-disable-next-line no-var
  var __OPEN_NEXT_PREVIEW_HANDLERS__: Record<string, NodeHandler> | undefined;
}

const wrapper: WrapperHandler = async (handler, converter, options) => {
  const functionName = options?.functionName ?? "default";

  const handle: NodeHandler = async (req, res) => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const event = await converter.convertFrom(req);
      if (event.rawPath === "/__health") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("OK");
        return;
      }
      const streamCreator: StreamCreator = {
        writeHeaders({ statusCode, cookies, headers }) {
          if (cookies.length > 0) res.setHeader("set-cookie", cookies);
          res.writeHead(statusCode, headers);
          res.flushHeaders();
          return res;
        },
        abortSignal: abort.signal,
        retainChunks: false,
      };
      await handler(event, { streamCreator });
    } catch (e) {
      error("request failed", req.method, req.url, e);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal Server Error");
      } else if (!res.writableEnded) {
        res.destroy(e instanceof Error ? e : undefined);
      }
    }
  };

  if (process.env.OPEN_NEXT_PREVIEW) {
    globalThis.__OPEN_NEXT_PREVIEW_HANDLERS__ ??= {};
    globalThis.__OPEN_NEXT_PREVIEW_HANDLERS__[functionName] = handle;
    debug("registered preview handler", functionName);
    return handle;
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("error", (e) => error("server error", e));
  // Same knob as Next's standalone server.js.
  const keepAlive = Number.parseInt(process.env.KEEP_ALIVE_TIMEOUT ?? "", 10);
  if (Number.isFinite(keepAlive) && keepAlive >= 0) server.keepAliveTimeout = keepAlive;
  const port = Number.parseInt(process.env.PORT ?? "3000", 10);
  const host = process.env.HOST || undefined;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  console.log(`Listening on ${host ?? ""}:${port}`);
  const shutdown = (code: number) => {
    server.close(() => process.exit(code));
    // Open keep-alive sockets would keep close() waiting.
    server.closeIdleConnections?.();
    setTimeout(() => process.exit(code), 5000).unref();
  };
  process.once("SIGINT", () => shutdown(0));
  process.once("SIGTERM", () => shutdown(0));
  return handle;
};

const nodeWrapper: Wrapper = {
  name: "node",
  wrapper,
  supportStreaming: true,
};

export default nodeWrapper;
