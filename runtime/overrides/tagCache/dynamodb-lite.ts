/**
 * TagCache `dynamodb-lite`: OpenNext's DynamoDB tag table (`aws/dynamo-tag-cache.ts`)
 * called with signed `fetch` (no AWS SDK in the bundle; endpoint variables and
 * retries as in `aws/client.ts`).
 */
import { jsonCall } from "../../aws/client.ts";
import { createDynamoTagCache, createDynamoTagSeeder, type DynamoTransport } from "../../aws/dynamo-tag-cache.ts";

const transport: DynamoTransport = {
  query: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.Query", input, what),
  batchWrite: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.BatchWriteItem", input, what),
};

export default /* @__PURE__ */ createDynamoTagCache("dynamodb-lite", transport);
/** The writing half alone, for the initializer. */
export const seeder = /* @__PURE__ */ createDynamoTagSeeder("dynamodb-lite", transport);
