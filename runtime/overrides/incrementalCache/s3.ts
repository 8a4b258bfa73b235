/**
 * IncrementalCache `s3`: the cache entries as S3 objects, through the AWS SDK
 * v3's S3Client (its own credentials chain, endpoint variables, retries —
 * `AWS_MAX_ATTEMPTS`, `AWS_SDK_S3_MAX_ATTEMPTS` as OpenNext reads it). Region
 * `CACHE_BUCKET_REGION`.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { sdkError } from "../../aws/errors.ts";
import { intEnv } from "../../utils/env.ts";
import { WRITTEN_AT, createS3IncrementalCache } from "../../aws/s3-cache.ts";

const clients = new Map<string, S3Client>();
function client(region: string): S3Client {
  let c = clients.get(region);
  if (!c) {
    const attempts = intEnv("AWS_SDK_S3_MAX_ATTEMPTS", 0);
    c = new S3Client({ region, ...(attempts > 0 ? { maxAttempts: attempts } : {}) });
    clients.set(region, c);
  }
  return c;
}

export default createS3IncrementalCache("s3", {
  async get(bucket, key, region) {
    try {
      const out = await client(region).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return {
        text: (await out.Body?.transformToString()) ?? "",
        lastModified: out.LastModified?.getTime(),
        writtenAt: out.Metadata?.[WRITTEN_AT],
      };
    } catch (e) {
      if ((e as { name?: string })?.name === "NoSuchKey" || (e as any)?.$metadata?.httpStatusCode === 404) return null;
      throw sdkError(e, `S3 GetObject s3://${bucket}/${key}`);
    }
  },
  async put(bucket, key, body, region, writtenAt) {
    try {
      await client(region).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: "application/json",
          Metadata: { [WRITTEN_AT]: String(writtenAt) },
        }),
      );
    } catch (e) {
      throw sdkError(e, `S3 PutObject s3://${bucket}/${key}`);
    }
  },
  async delete(bucket, key, region) {
    try {
      await client(region).send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      throw sdkError(e, `S3 DeleteObject s3://${bucket}/${key}`);
    }
  },
});
