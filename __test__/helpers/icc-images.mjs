// Colour-managed test images, made with the fixture's own sharp (which ships
// the Display P3 and a CMYK print profile) rather than committed: the CMYK
// profile alone is ~1 MB. Six colour bands, darker towards the top; as JPEG
// and as TIFF.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The images written to `<app>/public/img/` (gitignored there). */
export const ICC_IMAGES = ["p3.jpg", "cmyk.jpg", "p3.tif", "cmyk.tif"];

export async function writeIccImages(appDir) {
  const dir = path.join(appDir, "public/img");
  if (ICC_IMAGES.every((f) => existsSync(path.join(dir, f)))) return;
  const sharp = createRequire(path.join(appDir, "package.json"))("sharp");
  const [w, h] = [96, 64];
  const colors = [
    [230, 30, 30],
    [30, 200, 60],
    [30, 60, 230],
    [240, 200, 40],
    [150, 40, 190],
    [120, 120, 120],
  ];
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      raw.set(
        colors[Math.floor(x / 16)].map((v) => Math.round(v * (0.4 + (0.6 * y) / (h - 1)))),
        (y * w + x) * 3,
      );
  const base = () => sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "p3.jpg"), await base().withIccProfile("p3").jpeg({ quality: 95 }).toBuffer());
  writeFileSync(path.join(dir, "cmyk.jpg"), await base().toColourspace("cmyk").withIccProfile("cmyk").jpeg({ quality: 95 }).toBuffer());
  // TIFF input: LZW and Deflate, RGB and CMYK, each with its profile.
  writeFileSync(path.join(dir, "p3.tif"), await base().withIccProfile("p3").tiff({ compression: "lzw" }).toBuffer());
  writeFileSync(
    path.join(dir, "cmyk.tif"),
    await base().toColourspace("cmyk").withIccProfile("cmyk").tiff({ compression: "deflate" }).toBuffer(),
  );
}

/**
 * Mean absolute difference per sample of two images of one size, decoded by
 * `appDir`'s sharp, as seen on a white page (the colour under transparent
 * pixels is not seen, and encoders keep it or not as they like).
 */
export async function meanPixelDifference(appDir, a, b) {
  const sharp = createRequire(path.join(appDir, "package.json"))("sharp");
  const [ra, rb] = await Promise.all([a, b].map((x) => sharp(x).flatten({ background: "#ffffff" }).raw().toBuffer()));
  if (ra.length !== rb.length) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < ra.length; i++) sum += Math.abs(ra[i] - rb[i]);
  return sum / ra.length;
}
