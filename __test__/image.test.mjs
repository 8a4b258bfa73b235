// The image stage through the image addon (`open-next-image.<platform>.node`): `optimizeImage`
// as the image function will call it, its errors at the napi boundary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import zlib from "node:zlib";
import { hostImageAddon, repoRoot } from "./helpers/util.mjs";

const native = createRequire(import.meta.url)(hostImageAddon);

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** An RGBA PNG, `w`×`h`: red ramp left to right, opaque on the left half. */
function png(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (1 + w * 4));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) raw.set([Math.round((x * 255) / (w - 1)), 40, 90, x < w / 2 ? 255 : 100], y * (1 + w * 4) + 1 + x * 4);
  return Buffer.concat([
    Buffer.from("\x89PNG\r\n\x1a\n", "binary"),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("optimizeImage resizes without enlarging and writes the asked type", async () => {
  const input = png(400, 300);
  const webp = await native.optimizeImage(input, { width: 100, quality: 75, contentType: "image/webp" });
  assert.deepEqual([webp.width, webp.height, webp.contentType], [100, 75, "image/webp"]);
  assert.equal(webp.data.subarray(0, 4).toString(), "RIFF");
  assert.equal(webp.data.subarray(8, 12).toString(), "WEBP");
  const jpeg = await native.optimizeImage(input, { width: 64, quality: 80, contentType: "image/jpeg" });
  assert.deepEqual([jpeg.width, jpeg.height], [64, 48]);
  assert.deepEqual([...jpeg.data.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  // The JPEG round-trips through the stage as its input.
  const again = await native.optimizeImage(jpeg.data, { width: 3840, quality: 75, contentType: "image/png" });
  assert.deepEqual([again.width, again.height, again.contentType], [64, 48, "image/png"], "never enlarged");
  assert.equal(again.data.subarray(1, 4).toString(), "PNG");
});

/** The JPEG frame type: 0xc0 baseline, 0xc2 progressive. */
function sofMarker(jpeg) {
  for (let i = 2; i + 4 < jpeg.length; i += 2 + jpeg.readUInt16BE(i + 2)) {
    const m = jpeg[i + 1];
    if (m >= 0xc0 && m <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(m)) return m;
  }
  return undefined;
}

test("JPEG: mozjpeg's settings by default, libjpeg's baseline with mozjpeg: false (imgOptMozjpeg), as sharp writes them", async () => {
  const sharp = createRequire(path.join(repoRoot, "__test__/fixtures/next16/package.json"))("sharp");
  const photo = await sharp(path.join(repoRoot, "__test__/fixtures/next16/public/img/photo.jpg")).toBuffer();
  const ours = async (mozjpeg) => (await native.optimizeImage(photo, { width: 640, quality: 75, contentType: "image/jpeg", mozjpeg })).data;
  const theirs = (mozjpeg) => sharp(photo).resize(640).jpeg({ quality: 75, mozjpeg }).toBuffer();
  for (const mozjpeg of [true, false]) {
    const [a, b] = [await ours(mozjpeg), await theirs(mozjpeg)];
    assert.equal(sofMarker(a), sofMarker(b), `frame type with mozjpeg: ${mozjpeg}`);
    assert.ok(Math.abs(a.length / b.length - 1) < 0.06, `mozjpeg: ${mozjpeg}: ${a.length} bytes against sharp's ${b.length}`);
  }
  assert.equal(sofMarker(await ours(undefined)), 0xc2, "progressive by default");
  assert.equal(sofMarker(await ours(false)), 0xc0, "baseline");
});

test("optimizeImage writes AVIF that sharp reads back at the asked size, alpha kept", async () => {
  const sharp = createRequire(path.join(repoRoot, "__test__/fixtures/next16/package.json"))("sharp");
  const avif = await native.optimizeImage(png(400, 300), { width: 101, quality: 47, contentType: "image/avif" });
  assert.deepEqual([avif.width, avif.height, avif.contentType], [101, 76, "image/avif"]);
  const meta = await sharp(avif.data).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.hasAlpha], ["heif", 101, 76, true]);
  const { data } = await sharp(avif.data).raw().toBuffer({ resolveWithObject: true });
  // The left half is opaque, the right translucent (100 of 255).
  const alphaAt = (x) => data[(38 * 101 + x) * 4 + 3];
  assert.ok(alphaAt(5) > 245 && Math.abs(alphaAt(95) - 100) < 12, `${alphaAt(5)} ${alphaAt(95)}`);
});

test("optimizeImage rejects bad input and bad options with a coded error, and keeps working", async () => {
  await assert.rejects(
    native.optimizeImage(Buffer.from("<svg/>"), { width: 10, quality: 75, contentType: "image/webp" }),
    /ERR_IMAGE_UNSUPPORTED/,
  );
  const truncated = png(50, 50).subarray(0, 60);
  await assert.rejects(
    native.optimizeImage(truncated, { width: 10, quality: 75, contentType: "image/webp" }),
    /ERR_IMAGE_DECODE: cannot decode the PNG image/,
  );
  assert.throws(
    () => native.optimizeImage(png(4, 4), { width: 2, quality: 75, contentType: "image/gif" }),
    /ERR_IMAGE_INVALID: contentType "image\/gif"/,
  );
  assert.throws(() => native.optimizeImage(png(4, 4), { width: 2, quality: 0, contentType: "image/webp" }), /ERR_IMAGE_INVALID: quality 0/);
  await assert.rejects(
    native.optimizeImage(png(40, 40), { width: 2, quality: 75, contentType: "image/webp", maxInputPixels: 1000 }),
    /ERR_IMAGE_TOO_LARGE: the input is 40×40 = 1600 pixels, over the limit of 1000/,
  );
  // A PNG that makes the png crate panic (found by fuzz/fuzz_targets/image.rs): an error, and
  // this process lives on (the panic used to abort it).
  const crafted = readFileSync(path.join(repoRoot, "crates/image/testdata/png-palette-panic.png"));
  await assert.rejects(
    native.optimizeImage(crafted, { width: 1, quality: 75, contentType: "image/webp" }),
    /ERR_IMAGE_DECODE: cannot decode the PNG image: the decoder failed on this input/,
  );
  const ok = await native.optimizeImage(png(8, 8), { width: 4, quality: 75, contentType: "image/png" });
  assert.equal(ok.width, 4);
});
