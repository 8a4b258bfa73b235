/**
 * ImageLoader `s3` (OpenNext's default): local images from the assets bucket
 * (`BUCKET_NAME`, `BUCKET_KEY_PREFIX`, `BUCKET_REGION`) through the AWS SDK v3's S3Client, which
 * the Lambda Node.js runtime provides (left out of the bundle).
 */
import type { ImageLoader } from "../../types/overrides.ts";
import { assetKey, bucketOf, missing } from "./s3-keys.ts";

type Sdk = typeof import("@aws-sdk/client-s3");
let sdk: Promise<Sdk> | undefined;
let client: InstanceType<Sdk["S3Client"]> | undefined;

function loadSdk(): Promise<Sdk> {
  sdk ??= import("@aws-sdk/client-s3").catch((e) => {
    sdk = undefined;
    throw new Error(
      `imageOptimization.loader "s3" needs @aws-sdk/client-s3, which the AWS Lambda Node.js runtime provides and this process cannot load (${(e as Error)?.message ?? e}); install it beside the function, or use loader: "s3-lite"`,
    );
  });
  return sdk;
}

const loader: ImageLoader = {
  name: "s3",
  async load(url) {
    const bucket = bucketOf();
    const key = assetKey(url);
    const s = await loadSdk();
    client ??= new s.S3Client({ region: process.env.BUCKET_REGION || process.env.AWS_REGION || undefined });
    try {
      const r = await client.send(new s.GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: Buffer.from(await r.Body!.transformToByteArray()), contentType: r.ContentType, cacheControl: r.CacheControl };
    } catch (e: any) {
      if (e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404) throw missing(bucket, key);
      throw e;
    }
  },
};

export default loader;
