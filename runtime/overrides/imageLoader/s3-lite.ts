/**
 * ImageLoader `s3-lite`: local images from the assets bucket with signed
 * `fetch` (`BUCKET_NAME`, `BUCKET_KEY_PREFIX`, `BUCKET_REGION` or the Lambda's
 * region; the endpoint variables and bounded retries of `aws/client.ts`).
 */
import { awsFetch, discardBody } from "../../aws/client.ts";
import { objectUrl } from "../../aws/s3.ts";
import type { ImageLoader } from "../../types/overrides.ts";
import { assetKey, bucketOf, missing } from "./s3-keys.ts";

const loader: ImageLoader = {
  name: "s3-lite",
  async load(url) {
    const bucket = bucketOf();
    const key = assetKey(url);
    const region = process.env.BUCKET_REGION || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";
    const res = await awsFetch(
      objectUrl(bucket, key, region),
      { method: "GET" },
      { service: "s3", region, what: `S3 GetObject ${bucket}/${key}`, ok: (s) => s === 404 },
    );
    if (res.status === 404) {
      await discardBody(res);
      throw missing(bucket, key);
    }
    return {
      body: Buffer.from(await res.arrayBuffer()),
      contentType: res.headers.get("content-type") ?? undefined,
      cacheControl: res.headers.get("cache-control") ?? undefined,
    };
  },
};

export default loader;
