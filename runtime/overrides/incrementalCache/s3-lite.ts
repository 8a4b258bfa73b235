/**
 * IncrementalCache `s3-lite`: the cache entries as S3 objects, read and written
 * with signed `fetch` (no AWS SDK in the bundle; endpoint variables and retries
 * as in `aws/client.ts`). Region `CACHE_BUCKET_REGION`.
 */
import { awsFetch, discardBody } from "../../aws/client.ts";
import { objectUrl } from "../../aws/s3.ts";
import { WRITTEN_AT, createS3IncrementalCache } from "../../aws/s3-cache.ts";

export default createS3IncrementalCache("s3-lite", {
  async get(bucket, key, region) {
    const res = await awsFetch(
      objectUrl(bucket, key, region),
      { method: "GET" },
      { service: "s3", region, what: `S3 GetObject s3://${bucket}/${key}`, ok: (s) => s === 404 },
    );
    if (res.status === 404) {
      await discardBody(res);
      return null;
    }
    const lastModified = Date.parse(res.headers.get("last-modified") ?? "");
    return {
      text: await res.text(),
      lastModified: Number.isNaN(lastModified) ? undefined : lastModified,
      writtenAt: res.headers.get(`x-amz-meta-${WRITTEN_AT}`) ?? undefined,
    };
  },
  async put(bucket, key, body, region, writtenAt) {
    const res = await awsFetch(
      objectUrl(bucket, key, region),
      { method: "PUT", body, headers: { "content-type": "application/json", [`x-amz-meta-${WRITTEN_AT}`]: String(writtenAt) } },
      { service: "s3", region, what: `S3 PutObject s3://${bucket}/${key}` },
    );
    await discardBody(res);
  },
  async delete(bucket, key, region) {
    const res = await awsFetch(
      objectUrl(bucket, key, region),
      { method: "DELETE" },
      { service: "s3", region, what: `S3 DeleteObject s3://${bucket}/${key}` },
    );
    await discardBody(res);
  },
});
