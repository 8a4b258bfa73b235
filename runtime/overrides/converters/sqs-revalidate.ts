/**
 * Converter `sqs-revalidate`: an SQS event of revalidation messages (body
 * `{host, url, eTag, lastModified}`, as the server function's queue sends them)
 * in, the failed records out as SQS's partial batch response
 * (`{ batchItemFailures: [{ itemIdentifier: messageId }] }`, which needs
 * `ReportBatchItemFailures` on the event source mapping). A record whose body
 * cannot be read fails alone.
 *
 * Format: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import type { RevalidateEvent, RevalidateRecord } from "../../functions/revalidation.ts";
import type { Converter } from "../../types/overrides.ts";
import { BadEventError } from "../../utils/errors.ts";

function record(r: any): RevalidateRecord {
  const id = String(r?.messageId ?? "");
  try {
    const { host, url } = JSON.parse(r.body);
    if (typeof host !== "string" || typeof url !== "string") throw new Error("host and url must be strings");
    return { host, url, id };
  } catch (e) {
    return { host: "", url: "", id, invalid: `unreadable message body (${(e as Error).message})` };
  }
}

const converter: Converter<RevalidateEvent, RevalidateEvent> = {
  name: "sqs-revalidate",
  async convertFrom(event: any) {
    if (!Array.isArray(event?.Records)) throw new BadEventError("sqs-revalidate: not an SQS event: Records is required");
    return { type: "revalidate", records: event.Records.map(record) };
  },
  async convertTo(result: RevalidateEvent) {
    return { type: "revalidate", batchItemFailures: (result.records ?? []).map((r) => ({ itemIdentifier: r.id })) };
  },
};

export default converter;
