/**
 * A stand-in for the part of sharp's API that Next's image optimizer calls, over
 * the image addon's `optimizeImage` (the Rust image stage, `crates/image`).
 *
 * Next calls `sharp(buffer, { limitInputPixels, sequentialRead }).timeout(...)
 * .rotate().resize(width, undefined, { withoutEnlargement: true })` and one of
 * `.webp({ quality })`, `.jpeg({ quality, mozjpeg })`, `.png({ quality })`,
 * `.avif(...)`, then `.toBuffer()`; and `block`, `unblock`, `cache`,
 * `concurrency` once. The build's `sharp-to-rust` patch makes Next's
 * `require('sharp')` return this object once {@link installSharpShim} has run.
 *
 * What the stage does not do rejects, and Next then serves the original image,
 * as it does when sharp fails: `resize(width, height)` (Next asks for it only
 * for blur placeholders in development). `avif({ effort })` is ignored: the
 * stage has one AVIF speed (crates/image/src/avif.rs).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { findAddon } from "../utils/addon-file.ts";

interface OptimizedImage {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
}

interface ImageAddon {
  optimizeImage(
    input: Buffer,
    t: { width: number; quality: number; contentType: string; maxInputPixels?: number; mozjpeg?: boolean },
  ): Promise<OptimizedImage>;
}

/** sharp's default `limitInputPixels`. */
const DEFAULT_LIMIT = 0x3fff * 0x3fff;

class Pipeline {
  private width?: number;
  private height?: number;
  private type?: string;
  private quality = 80;
  private timeoutMs = 0;
  private mozjpeg = true;
  constructor(
    private readonly addon: ImageAddon,
    private readonly input: Buffer,
    private readonly limit: number,
  ) {}
  timeout(o?: { seconds?: number }): this {
    this.timeoutMs = Math.max(0, (o?.seconds ?? 0) * 1000);
    return this;
  }
  /** Auto-orientation from EXIF: the stage always does it. */
  rotate(): this {
    return this;
  }
  resize(width?: number, height?: number): this {
    this.width = width;
    this.height = height;
    return this;
  }
  private output(type: string, o?: { quality?: number }): this {
    this.type = type;
    if (o?.quality !== undefined) this.quality = o.quality;
    return this;
  }
  webp(o?: { quality?: number }): this {
    return this.output("image/webp", o);
  }
  /** `mozjpeg: false` is Next 16's `experimental.imgOptMozjpeg: false`. */
  jpeg(o?: { quality?: number; mozjpeg?: boolean }): this {
    this.mozjpeg = o?.mozjpeg !== false;
    return this.output("image/jpeg", o);
  }
  png(o?: { quality?: number }): this {
    return this.output("image/png", o);
  }
  avif(o?: { quality?: number }): this {
    return this.output("image/avif", o);
  }
  async toBuffer(): Promise<Buffer> {
    if (!this.width || !this.type) throw new Error("open-next image stage: resize(width) and an output format are required");
    if (this.height) throw new Error("open-next image stage: resize(width, height) is not supported");
    const work = this.addon.optimizeImage(this.input, {
      width: this.width,
      quality: this.quality,
      contentType: this.type,
      maxInputPixels: this.limit,
      mozjpeg: this.mozjpeg,
    });
    if (!this.timeoutMs) return (await work).data;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`open-next image stage: timeout after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return (await Promise.race([work, late])).data;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The `sharp` module as Next sees it. */
export function createSharpShim(addon: ImageAddon) {
  const sharp = (input: Buffer, o?: { limitInputPixels?: number | boolean }) => {
    const l = o?.limitInputPixels;
    const limit = l === false || l === 0 ? 0 : typeof l === "number" ? l : DEFAULT_LIMIT;
    return new Pipeline(addon, input, limit);
  };
  return Object.assign(sharp, {
    block: () => {},
    unblock: () => {},
    cache: () => {},
    concurrency: () => 1,
  });
}

/**
 * Loads the image addon of `functionDir` (`open-next-image.<platform>.node`)
 * and makes it Next's sharp. Returns false, leaving Next with sharp (or none),
 * when the function has none for this machine (a Lambda server function, whose
 * `/_next/image` goes to the image function).
 */
export function installSharpShim(functionDir: string): boolean {
  const file = findAddon(functionDir, "open-next-image");
  if (!file) return false;
  const addon = createRequire(path.join(functionDir, "index.mjs"))(file) as Partial<ImageAddon>;
  if (typeof addon.optimizeImage !== "function") return false;
  (globalThis as { __openNextSharp?: unknown }).__openNextSharp = createSharpShim(addon as ImageAddon);
  return true;
}
