/**
 * cdnInvalidation `cloudfront`: a CloudFront invalidation (CreateInvalidation,
 * signed `fetch`, no SDK in the bundle) of the distribution
 * `CLOUDFRONT_DISTRIBUTION_ID` for each revalidated page. As OpenNext does, an
 * App Router page is invalidated with its RSC requests (`<path>?_rsc=*`), a
 * Pages Router page with its `_next/data` JSON. Endpoint
 * `AWS_ENDPOINT_URL_CLOUDFRONT` (or `AWS_ENDPOINT_URL`) when set.
 */
import { createHash } from "node:crypto";
import { awsFetch, discardBody, endpointFor } from "../../aws/client.ts";
import type { CDNInvalidationHandler, PathToInvalidate } from "../../types/overrides.ts";
import { debug } from "../../utils/logger.ts";

/** CloudFront accepts up to 3,000 paths in progress per distribution; send them in parts. */
const PATHS_PER_REQUEST = 1000;

/** The CDN paths of one page. */
export function cloudfrontPaths({ initialPath, rawPath, resolvedRoutes }: PathToInvalidate): string[] {
  const page = initialPath.startsWith("/") ? initialPath : `/${initialPath}`;
  if (resolvedRoutes.some((r) => r.type === "app")) return [page, `${page}?_rsc=*`];
  // The basePath is what the CDN path has in front of the app's path.
  const basePath = rawPath === "/" ? (page === "/" ? "" : page) : page.endsWith(rawPath) ? page.slice(0, -rawPath.length) : "";
  const buildId = process.env.NEXT_BUILD_ID ?? process.env.OPEN_NEXT_BUILD_ID ?? "";
  return [page, `${basePath}/_next/data/${buildId}${rawPath === "/" ? "/index" : rawPath}.json*`];
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

async function createInvalidation(distribution: string, paths: string[]): Promise<void> {
  // The same reference on a retry: CloudFront then answers with the invalidation already made.
  const reference = createHash("sha256")
    .update(`${Date.now()}\n${paths.join("\n")}`)
    .digest("hex")
    .slice(0, 32);
  const body = `<?xml version="1.0" encoding="UTF-8"?>
<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>${paths.length}</Quantity><Items>${paths
    .map((p) => `<Path>${xml(p)}</Path>`)
    .join("")}</Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch>`;
  const url = `${endpointFor("cloudfront", "us-east-1")}/2020-05-31/distribution/${encodeURIComponent(distribution)}/invalidation`;
  const res = await awsFetch(
    url,
    { method: "POST", body, headers: { "content-type": "application/xml" } },
    { service: "cloudfront", region: "us-east-1", what: `CloudFront CreateInvalidation ${distribution} (${paths.length} paths)` },
  );
  await discardBody(res);
}

const cdnInvalidation: CDNInvalidationHandler = {
  name: "cloudfront",
  async invalidatePaths(pages) {
    const distribution = process.env.CLOUDFRONT_DISTRIBUTION_ID;
    if (!distribution) {
      throw new Error(
        "cdnInvalidation cloudfront: CLOUDFRONT_DISTRIBUTION_ID is not set; set it to the distribution in front of this function",
      );
    }
    const paths = [...new Set(pages.flatMap(cloudfrontPaths))];
    debug("cloudfront invalidation", distribution, paths);
    for (let i = 0; i < paths.length; i += PATHS_PER_REQUEST) {
      await createInvalidation(distribution, paths.slice(i, i + PATHS_PER_REQUEST));
    }
  },
};

export default cdnInvalidation;
