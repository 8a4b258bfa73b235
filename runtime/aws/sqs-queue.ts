/**
 * The SQS revalidation queue over a transport: `sqs-lite` (signed fetch, JSON
 * protocol) and `sqs` (the AWS SDK's SQSClient) send the same SendMessage input.
 * The message is OpenNext's: body `{host, url, eTag, lastModified}` as JSON, the
 * deduplication id and sharded group id as given; queue `REVALIDATION_QUEUE_URL`,
 * region `REVALIDATION_QUEUE_REGION`. A failed send throws, naming the queue; the
 * request handler logs it, and the next stale hit sends it again.
 */
import type { Queue, QueueMessage } from "../types/overrides.ts";

/** How one SQS client sends a message (input as in the SendMessage API). */
export type SqsSend = (input: Record<string, unknown>, region: string, what: string) => Promise<unknown>;

/** A Queue named `name` over `send`. */
export function createSqsQueue(name: string, send: SqsSend): Queue {
  return {
    name,
    async send({ MessageBody, MessageDeduplicationId, MessageGroupId }: QueueMessage) {
      const url = process.env.REVALIDATION_QUEUE_URL;
      if (!url) throw new Error(`${name}: REVALIDATION_QUEUE_URL is not set; set it to the revalidation queue's URL`);
      const region = process.env.REVALIDATION_QUEUE_REGION || process.env.AWS_REGION || "us-east-1";
      await send(
        { QueueUrl: url, MessageBody: JSON.stringify(MessageBody), MessageDeduplicationId, MessageGroupId },
        region,
        `SQS SendMessage ${url}`,
      );
    },
  };
}
