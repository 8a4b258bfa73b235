/** Where the cache bucket and the tag table are. */

/** The region of the cache bucket and of the tag table (`CACHE_BUCKET_REGION`, as OpenNext reads it for both). */
export function cacheRegion(): string {
  return process.env.CACHE_BUCKET_REGION || process.env.AWS_REGION || "us-east-1";
}
