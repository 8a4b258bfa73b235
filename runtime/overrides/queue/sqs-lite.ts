/**
 * Queue `sqs-lite`: revalidation requests as messages of OpenNext's FIFO queue
 * (`REVALIDATION_QUEUE_URL`, region `REVALIDATION_QUEUE_REGION`), sent with
 * signed `fetch` (SQS JSON protocol, no AWS SDK in the bundle). The message is
 * OpenNext's: body `{host, url, eTag, lastModified}`, deduplication id and
 * sharded group id as given. A failed send throws, naming the queue; the
 * request handler logs it, and the next stale hit sends it again.
 */
import { jsonCall } from "../../aws/client.ts";
import type { Queue, QueueMessage } from "../../types/overrides.ts";

const queue: Queue = {
  name: "sqs-lite",
  async send({ MessageBody, MessageDeduplicationId, MessageGroupId }: QueueMessage) {
    const url = process.env.REVALIDATION_QUEUE_URL;
    if (!url) throw new Error("sqs-lite: REVALIDATION_QUEUE_URL is not set; set it to the revalidation queue's URL");
    const region = process.env.REVALIDATION_QUEUE_REGION || process.env.AWS_REGION || "us-east-1";
    await jsonCall(
      "sqs",
      region,
      "AmazonSQS.SendMessage",
      { QueueUrl: url, MessageBody: JSON.stringify(MessageBody), MessageDeduplicationId, MessageGroupId },
      `SQS SendMessage ${url}`,
    );
  },
};

export default queue;
