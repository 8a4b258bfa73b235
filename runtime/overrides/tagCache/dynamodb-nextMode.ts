/**
 * TagCache `dynamodb-nextMode`: OpenNext's one-item-per-tag DynamoDB layout
 * (`aws/dynamo-tag-cache.ts`, `createDynamoNextModeTagCache`) called with signed
 * `fetch` (endpoint variables and retries as in `aws/client.ts`).
 */
import { jsonCall } from "../../aws/client.ts";
import { createDynamoNextModeTagCache } from "../../aws/dynamo-tag-cache.ts";

const tagCache = createDynamoNextModeTagCache("dynamodb-nextMode", {
  batchGet: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.BatchGetItem", input, what),
  query: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.Query", input, what),
  batchWrite: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.BatchWriteItem", input, what),
});

export default tagCache;
/** What the initializer seeds through (a nextMode table needs no seed). */
export const seeder = tagCache;
