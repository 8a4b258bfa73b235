/**
 * The revalidation function (`.open-next/revalidation-function/`): for each
 * queued revalidation (an SQS record, through the `sqs-revalidate` converter) it
 * sends `HEAD https://<host><url>` with `x-prerender-revalidate: <previewModeId>`
 * (from the `prerender-manifest.json` shipped beside it) and `x-isr: 1`, which
 * makes the server function regenerate the page and write it to the cache.
 *
 * A record fails unless the answer is 200, 307, 308 or 404 with
 * `x-nextjs-cache: REVALIDATED` (OpenNext's rule); failed records are returned,
 * and the converter reports them to SQS as `batchItemFailures`, so only they are
 * retried. Records are handled one after another, each with a timeout
 * (`OPEN_NEXT_REVALIDATE_TIMEOUT_MS`, default 30 s). With
 * `OPEN_NEXT_REVALIDATION_ORIGIN` set (`open-next preview` does), the requests go
 * to that origin instead, with the record's host as `Host`.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { fileURLToPath } from "node:url";
import { intEnv } from "../utils/env.ts";
import { debug, error } from "../utils/logger.ts";

/** One revalidation to do; `id` identifies its SQS record. */
export interface RevalidateRecord {
  host: string;
  url: string;
  id: string;
  /** Set when the record could not be read (it fails as is). */
  invalid?: string;
}

/** The event the revalidation handler takes and returns (the failed records). */
export interface RevalidateEvent {
  type: "revalidate";
  records: RevalidateRecord[];
}

const ALLOWED_STATUS = new Set([200, 307, 308, 404]);

let previewModeId: string | undefined;
function previewId(): string {
  if (previewModeId === undefined) {
    const file = fileURLToPath(new URL("./prerender-manifest.json", import.meta.url));
    previewModeId = JSON.parse(readFileSync(file, "utf8")).preview.previewModeId as string;
  }
  return previewModeId;
}

const timeoutMs = () => intEnv("OPEN_NEXT_REVALIDATE_TIMEOUT_MS", 30_000);

/** Sends one revalidation request; resolves with why it failed, or undefined. */
function revalidate({ host, url }: RevalidateRecord): Promise<string | undefined> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(`https://${host}${url.startsWith("/") ? url : `/${url}`}`);
      // `open-next preview` (or a local test) takes the requests itself, over http.
      const local = process.env.OPEN_NEXT_REVALIDATION_ORIGIN;
      if (local) target = new URL(`${target.pathname}${target.search}`, local);
    } catch {
      resolve(`cannot make a URL of host ${JSON.stringify(host)} and url ${JSON.stringify(url)}`);
      return;
    }
    const req = (target.protocol === "http:" ? http : https).request(
      target,
      { method: "HEAD", headers: { host, "x-prerender-revalidate": previewId(), "x-isr": "1" }, timeout: timeoutMs() },
      (res) => {
        res.resume();
        const cache = res.headers["x-nextjs-cache"];
        debug("revalidated", target.href, res.statusCode, cache);
        if (!ALLOWED_STATUS.has(res.statusCode ?? 0) || cache !== "REVALIDATED") {
          resolve(`answered ${res.statusCode} with x-nextjs-cache: ${cache ?? "(none)"}`);
        } else resolve(undefined);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs()} ms`)));
    req.on("error", (e) => resolve(e.message));
    req.end();
  });
}

/** The handler: revalidates every record, returns the failed ones. */
export async function revalidationHandler(event: RevalidateEvent): Promise<RevalidateEvent> {
  const failed: RevalidateRecord[] = [];
  for (const record of event.records) {
    const reason = record.invalid ?? (await revalidate(record));
    if (reason !== undefined) {
      error(`revalidation of ${record.host}${record.url} (record ${record.id}) failed: ${reason}`);
      failed.push(record);
    }
  }
  return { type: "revalidate", records: failed };
}
