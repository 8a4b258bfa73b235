/**
 * The image function (`.open-next/image-optimization-function/`, the
 * `imageOptimizer` origin for `/_next/image*`): Next's own image optimizer
 * (`image/next-image.ts`, from the `next` traced beside the bundle) with the
 * pixel work in Rust (`image/sharp.ts`), local images read through the
 * `imageOptimization.loader` override, remote ones fetched as Next fetches them
 * (`images.remotePatterns`, redirects checked hop by hop, local IPs refused
 * unless `images.dangerouslyAllowLocalIP`).
 *
 * The answer is Next's: the same status, body and headers `next start` sends
 * (`Cache-Control` from `minimumCacheTTL` and the upstream, `Vary: Accept`,
 * ETag and 304, `Content-Disposition`, CSP). A loader error with a `status`
 * (404 for a missing object) is that status, as Next answers a local 404.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { InternalResponse } from "../http/response.ts";
import { createNextImageHandler, IMAGE_FUNCTION_FAILURE_HEADERS, type LocalAnswer, sendFailure } from "../image/next-image.ts";
import { installSharpShim } from "../image/sharp.ts";
import { missingAddonError } from "../utils/addon-file.ts";
import { assetsLoader } from "../overrides/imageLoader/fs-dev.ts";
import type { ImageLoader, ImageLoaderResult, InternalEvent, InternalResult, OpenNextHandlerOptions } from "../types/overrides.ts";
import { pick } from "../utils/config.ts";
import { error } from "../utils/logger.ts";
import { readAll } from "../utils/read-all.ts";

const functionDir = path.dirname(fileURLToPath(import.meta.url));

async function bytesOf(body: ImageLoaderResult["body"]): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  return body instanceof Uint8Array ? Buffer.from(body) : readAll(body);
}

/** The image function's handler over the selected loader. */
export function imageHandler(builtin: ImageLoader | undefined) {
  const required = JSON.parse(fs.readFileSync(path.join(functionDir, ".next/required-server-files.json"), "utf8"));
  const config = required.config ?? {};
  (globalThis as { __openNextBasePath?: string }).__openNextBasePath = config.basePath ?? "";
  const nextPkg = createRequire(path.join(functionDir, "index.mjs"));
  // Nothing can be optimized without the image stage: fail at start, saying why.
  if (!installSharpShim(functionDir)) throw missingAddonError(functionDir, "image", "open-next-image");
  const nextVersion = (nextPkg("next/package.json") as { version: string }).version;
  const failureHeaders = IMAGE_FUNCTION_FAILURE_HEADERS;
  const optimize = createNextImageHandler({ requireFromFn: nextPkg, config, nextVersion, failureHeaders });
  let loader: Promise<ImageLoader> | undefined;

  return async (event: InternalEvent, options?: OpenNextHandlerOptions): Promise<InternalResult> => {
    const openNextConfig = (globalThis as { openNextConfig?: { imageOptimization?: { loader?: unknown } } }).openNextConfig;
    // `open-next preview` without a bucket: the bucket loaders read the preview's copy of the assets.
    const previewAssets = process.env.OPEN_NEXT_PREVIEW_ASSETS_DIR;
    if (previewAssets && !process.env.BUCKET_NAME && /^s3(-lite)?$/.test(builtin?.name ?? "")) {
      loader ??= Promise.resolve(assetsLoader(previewAssets, `${builtin?.name} (preview: ${previewAssets})`));
    }
    loader ??= pick<ImageLoader>(openNextConfig?.imageOptimization?.loader, builtin as ImageLoader);
    const l = await loader;
    if (!l) throw new Error("imageOptimization.loader is a custom override, but the config beside the function has no loader function");
    // OpenNext's host loader reads HOST: the request's host unless the function sets its own.
    process.env.HOST ??= event.headers["x-forwarded-host"] ?? event.headers.host;
    const res = new InternalResponse({ streamCreator: options?.streamCreator });
    const url = new URL(event.url);
    const fail = (status: number, message: string) => sendFailure(res, status, message, failureHeaders);
    const answered = optimize({ method: event.method, url, headers: event.headers }, res, {
      notFound: async () => fail(404, "Not Found"),
      fetchLocal: async (href): Promise<LocalAnswer> => {
        try {
          const r = await l.load(href);
          const headers: Record<string, string> = {};
          if (r.contentType) headers["content-type"] = r.contentType;
          if (r.cacheControl) headers["cache-control"] = r.cacheControl;
          return { status: 200, headers, body: await bytesOf(r.body) };
        } catch (e: any) {
          if (typeof e?.status === "number") return { status: e.status, headers: {}, body: Buffer.alloc(0) };
          throw e;
        }
      },
    });
    try {
      await answered;
    } catch (e) {
      // As OpenNext's: logged, and a 500 the client may retry after a minute.
      error("image function: cannot optimize", event.url, e);
      if (res.headersSent) throw e;
      fail(500, "Internal server error");
    }
    if (!res.writableEnded) res.end();
    await res.done();
    return res.toInternalResult();
  };
}
