/**
 * TagCache `dynamodb`: OpenNext's DynamoDB tag table (`aws/dynamo-tag-cache.ts`)
 * through the AWS SDK v3's DynamoDBClient (its credentials chain, endpoint
 * variables and retries).
 */
import { BatchWriteItemCommand, DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { sdkError } from "../../aws/client.ts";
import { createDynamoTagCache } from "../../aws/dynamo-tag-cache.ts";

const clients = new Map<string, DynamoDBClient>();
function client(region: string): DynamoDBClient {
  let c = clients.get(region);
  if (!c) clients.set(region, (c = new DynamoDBClient({ region })));
  return c;
}

export default createDynamoTagCache("dynamodb", {
  async query(input, region, what) {
    try {
      return await client(region).send(new QueryCommand(input as any));
    } catch (e) {
      throw sdkError(e, what);
    }
  },
  async batchWrite(input, region, what) {
    try {
      return (await client(region).send(new BatchWriteItemCommand(input as any))) as any;
    } catch (e) {
      throw sdkError(e, what);
    }
  },
});
