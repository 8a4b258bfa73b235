/**
 * Queue `sqs-lite`: OpenNext's revalidation messages (`aws/sqs-queue.ts`) sent
 * with signed `fetch` (SQS JSON protocol, no AWS SDK in the bundle; endpoint
 * variables and retries as in `aws/client.ts`).
 */
import { jsonCall } from "../../aws/client.ts";
import { createSqsQueue } from "../../aws/sqs-queue.ts";

export default createSqsQueue("sqs-lite", (input, region, what) => jsonCall("sqs", region, "AmazonSQS.SendMessage", input, what));
