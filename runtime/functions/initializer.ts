/**
 * The initializer (`.open-next/dynamodb-provider/`): seeds the tag cache with
 * the build's tag/path pairs (`dynamodb-cache.json` beside the bundle) when the
 * stack is created or updated, through the tag cache override (built-in
 * `dynamodb-lite`: batches of 25, `DYNAMO_BATCH_WRITE_COMMAND_CONCURRENCY` at a
 * time). A `nextMode` tag cache needs no seed; `Delete` leaves the table as it is.
 *
 * It takes a CloudFormation custom resource request (`RequestType`
 * Create/Update/Delete). With a `ResponseURL` (a Lambda-backed custom resource)
 * the outcome is PUT there — SUCCESS, or FAILED with the reason, so a stack never
 * waits for an answer that does not come. The returned `PhysicalResourceId` and
 * `Data` serve the CDK provider framework; OpenNext's own
 * `{ type: "initializationFunction", requestType }` event works too.
 *
 * Format: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { num, type TagItem } from "../cache/tag-items.ts";
import type { TagSeeder } from "../types/overrides.ts";
import { pick } from "../utils/config.ts";
import { error } from "../utils/logger.ts";
import { platformFetch } from "../utils/platform-fetch.ts";

const PHYSICAL_RESOURCE_ID = "dynamodb-cache";

type RequestType = "create" | "update" | "delete";

function requestTypeOf(event: any): RequestType {
  const raw = String(event?.RequestType ?? event?.requestType ?? "create").toLowerCase();
  if (raw === "create" || raw === "update" || raw === "delete") return raw;
  throw new Error(
    `initializer: unknown RequestType ${JSON.stringify(event?.RequestType ?? event?.requestType)}; expected Create, Update or Delete`,
  );
}

async function seed(tagCache: TagSeeder): Promise<number> {
  if (tagCache.mode === "nextMode") return 0;
  const file = fileURLToPath(new URL("./dynamodb-cache.json", import.meta.url));
  const items = JSON.parse(readFileSync(file, "utf8")) as TagItem[];
  // The file's keys carry the build id already; writeTags adds it, so strip it here.
  const buildId = process.env.OPEN_NEXT_BUILD_ID;
  const strip = (k: string) => (buildId && k.startsWith(`${buildId}/`) ? k.slice(buildId.length + 1) : k);
  await tagCache.writeTags(
    items.map((i) => ({
      tag: strip(i.tag.S),
      path: strip(i.path.S),
      revalidatedAt: num(i.revalidatedAt) ?? 1,
      ...(i.stale ? { stale: num(i.stale) } : {}),
      ...(i.expire ? { expire: num(i.expire) } : {}),
    })),
  );
  return items.length;
}

/** PUTs the custom resource response to CloudFormation's presigned URL. */
async function respond(event: any, status: "SUCCESS" | "FAILED", reason: string, data: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await platformFetch(event.ResponseURL, {
        method: "PUT",
        headers: { "content-type": "" },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return;
      error(`initializer: CloudFormation answered ${res.status} to the ${status} response (attempt ${attempt})`);
    } catch (e) {
      error(`initializer: cannot send the ${status} response to CloudFormation (attempt ${attempt}):`, (e as Error).message);
    }
  }
}

/** The initializer handler over the selected tag cache. */
export function initializerHandler(builtin: TagSeeder) {
  return async (input: any) => {
    // OpenNext's default converter (`dummy`) hands the Lambda event over as `original`.
    const event = input?.type === "dummy" ? input.original : input;
    let requestType: RequestType = "create";
    try {
      requestType = requestTypeOf(event);
      const config = (globalThis as { openNextConfig?: { initializationFunction?: { tagCache?: unknown } } }).openNextConfig;
      const tagCache = await pick<TagSeeder>(config?.initializationFunction?.tagCache, builtin);
      const written = requestType === "delete" ? 0 : await seed(tagCache);
      const data = { items: written };
      if (event?.ResponseURL) await respond(event, "SUCCESS", `seeded ${written} tag/path pairs`, data);
      return {
        type: "initializationFunction",
        requestType,
        resourceId: PHYSICAL_RESOURCE_ID,
        PhysicalResourceId: PHYSICAL_RESOURCE_ID,
        Data: data,
      };
    } catch (e) {
      const reason = `seeding the tag cache failed: ${(e as Error)?.message ?? e}`;
      error("initializer:", reason);
      if (event?.ResponseURL) {
        await respond(event, "FAILED", reason, {});
        return { type: "initializationFunction", requestType, resourceId: PHYSICAL_RESOURCE_ID, error: reason };
      }
      throw e;
    }
  };
}
