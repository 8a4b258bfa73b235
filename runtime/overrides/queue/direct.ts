/**
 * Queue that revalidates in-process: each message becomes a HEAD request to this
 * function's own handler carrying `x-prerender-revalidate: <previewModeId>`,
 * which makes Next regenerate the page and write it to the cache. Messages for a
 * URL whose revalidation is still running, or with a deduplication id already
 * in flight, are dropped.
 */
import { getInternalHandler, getPreviewModeId } from "../../server/internal.ts";
import type { Queue, QueueMessage } from "../../types/overrides.ts";
import { ISR_HEADER, PRERENDER_REVALIDATE_HEADER } from "../../utils/cache-headers.ts";
import { queryFromSearchParams } from "../../http/util.ts";
import { debug, error } from "../../utils/logger.ts";

const inFlight = new Map<string, Promise<void>>();

async function revalidate(message: QueueMessage): Promise<void> {
  const handler = getInternalHandler();
  const previewModeId = getPreviewModeId();
  if (!handler || !previewModeId) {
    error("direct queue: the server function is not ready, revalidation skipped", message.MessageBody.url);
    return;
  }
  const { host, url } = message.MessageBody;
  const target = new URL(url, `http://${host || "localhost"}`);
  const result = await handler({
    type: "core",
    method: "HEAD",
    rawPath: target.pathname,
    url: target.href,
    headers: {
      host: target.host,
      [PRERENDER_REVALIDATE_HEADER]: previewModeId,
      [ISR_HEADER]: "1",
    },
    query: queryFromSearchParams(target.searchParams),
    cookies: {},
    remoteAddress: "127.0.0.1",
  });
  result.body.resume();
  debug("direct queue: revalidated", url, result.statusCode, result.headers["x-nextjs-cache"]);
}

const queue: Queue = {
  name: "direct",
  send(message: QueueMessage): Promise<void> {
    const { url } = message.MessageBody;
    const running = inFlight.get(url) ?? inFlight.get(`id:${message.MessageDeduplicationId}`);
    if (running) return running;
    const task = revalidate(message)
      .catch((e) => error("direct queue: revalidation failed", url, e))
      .finally(() => {
        inFlight.delete(url);
        inFlight.delete(`id:${message.MessageDeduplicationId}`);
      });
    inFlight.set(url, task);
    inFlight.set(`id:${message.MessageDeduplicationId}`, task);
    return task;
  },
};

export default queue;
