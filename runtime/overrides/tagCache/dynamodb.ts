/**
 * TagCache `dynamodb`: OpenNext's DynamoDB tag table (`aws/dynamo-tag-cache.ts`)
 * through the AWS SDK v3's DynamoDBClient (its credentials chain, endpoint
 * variables and retries).
 *
 * The SDK is loaded on first use. The server function carries it; the
 * initializer (`dynamodb-provider/`) takes it from the Lambda Node.js runtime,
 * as OpenNext's does, so a missing SDK is reported with the fix.
 */
import { sdkError } from "../../aws/errors.ts";
import { createDynamoTagCache, createDynamoTagSeeder, type DynamoTransport } from "../../aws/dynamo-tag-cache.ts";

type Sdk = typeof import("@aws-sdk/client-dynamodb");

let sdk: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-dynamodb").catch((e) => {
    sdk = undefined;
    throw new Error(
      `tagCache "dynamodb" needs @aws-sdk/client-dynamodb, which the AWS Lambda Node.js runtime provides and this process cannot load (${(e as Error)?.message ?? e}); install it beside the function, or use tagCache: "dynamodb-lite"`,
    );
  });
  return sdk;
}

const clients = new Map<string, InstanceType<Sdk["DynamoDBClient"]>>();
async function send(region: string, command: (s: Sdk) => any): Promise<any> {
  const s = await loadSdk();
  let c = clients.get(region);
  if (!c) clients.set(region, (c = new s.DynamoDBClient({ region })));
  return c.send(command(s));
}

const transport: DynamoTransport = {
  async query(input, region, what) {
    try {
      return await send(region, (s) => new s.QueryCommand(input as any));
    } catch (e) {
      throw sdkError(e, what);
    }
  },
  async batchWrite(input, region, what) {
    try {
      return await send(region, (s) => new s.BatchWriteItemCommand(input as any));
    } catch (e) {
      throw sdkError(e, what);
    }
  },
};

export default /* @__PURE__ */ createDynamoTagCache("dynamodb", transport);
/** The writing half alone, for the initializer. */
export const seeder = /* @__PURE__ */ createDynamoTagSeeder("dynamodb", transport);
