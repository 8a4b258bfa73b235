/** The assets bucket of the `s3` and `s3-lite` image loaders, as OpenNext names it. */

/** `BUCKET_NAME`, or an error saying to set it. */
export function bucketOf(): string {
  const bucket = process.env.BUCKET_NAME;
  if (!bucket) throw new Error("the image function's s3 loader needs BUCKET_NAME (the assets bucket) in its environment");
  return bucket;
}

/** The object key of a local image: `BUCKET_KEY_PREFIX/<url without its leading slash>`. */
export function assetKey(url: string): string {
  const prefix = (process.env.BUCKET_KEY_PREFIX ?? "").replace(/^\/|\/$/g, "");
  const rel = decodeURIComponent(url.split("?")[0]).replace(/^\//, "");
  return prefix ? `${prefix}/${rel}` : rel;
}

/** A missing object, as a 404 the optimizer passes on. */
export function missing(bucket: string, key: string): Error {
  return Object.assign(new Error(`no object ${key} in bucket ${bucket}`), { status: 404 });
}
