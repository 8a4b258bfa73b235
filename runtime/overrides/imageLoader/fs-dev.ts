/**
 * ImageLoader `fs-dev`: local images from `.open-next/assets/` beside the
 * function (for local runs), without the basePath.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ImageLoader } from "../../types/overrides.ts";

const TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

/** A loader reading local images from `root` (a copy of the assets bucket). */
export function assetsLoader(root: string, name = "fs-dev"): ImageLoader {
  return {
    name,
    async load(url) {
      const basePath = (globalThis as { __openNextBasePath?: string }).__openNextBasePath ?? "";
      let rel = decodeURIComponent(url.split("?")[0]);
      if (basePath && rel.startsWith(`${basePath}/`)) rel = rel.slice(basePath.length);
      const file = path.resolve(root, `.${rel}`);
      if (!file.startsWith(`${root}${path.sep}`)) throw Object.assign(new Error(`${url} is outside the assets`), { status: 400 });
      try {
        return {
          body: await fs.readFile(file),
          contentType: TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
          cacheControl: "public, max-age=31536000, immutable",
        };
      } catch (e: any) {
        if (e?.code === "ENOENT" || e?.code === "EISDIR") throw Object.assign(new Error(`no file ${file}`), { status: 404 });
        throw e;
      }
    },
  };
}

export default assetsLoader(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../assets"));
