/**
 * TagCache `dynamodb-lite`: OpenNext's DynamoDB tag table (`aws/dynamo-tag-cache.ts`)
 * called with signed `fetch` (no AWS SDK in the bundle; endpoint variables and
 * retries as in `aws/client.ts`).
 */
import { jsonCall } from "../../aws/client.ts";
import { createDynamoTagCache } from "../../aws/dynamo-tag-cache.ts";

export default createDynamoTagCache("dynamodb-lite", {
  query: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.Query", input, what),
  batchWrite: (input, region, what) => jsonCall("dynamodb", region, "DynamoDB_20120810.BatchWriteItem", input, what),
});
