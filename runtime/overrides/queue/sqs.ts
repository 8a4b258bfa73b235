/**
 * Queue `sqs`: OpenNext's revalidation messages (`aws/sqs-queue.ts`) through the
 * AWS SDK v3's SQSClient (its credentials chain, endpoint variables and retries).
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { sdkError } from "../../aws/errors.ts";
import { createSqsQueue } from "../../aws/sqs-queue.ts";

const clients = new Map<string, SQSClient>();
function client(region: string): SQSClient {
  let c = clients.get(region);
  if (!c) clients.set(region, (c = new SQSClient({ region })));
  return c;
}

export default createSqsQueue("sqs", async (input, region, what) => {
  try {
    return await client(region).send(new SendMessageCommand(input as any));
  } catch (e) {
    throw sdkError(e, what);
  }
});
