// The image stage through the image addon (`open-next-image.<platform>.node`): `optimizeImage`
// as the image function will call it, its errors at the napi boundary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import zlib from "node:zlib";
import { repoRoot } from "./helpers/util.mjs";

const native = createRequire(import.meta.url)(path.join(repoRoot, `open-next-image.linux-${process.arch}-gnu.node`));

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
  const ok = await native.optimizeImage(png(8, 8), { width: 4, quality: 75, contentType: "image/png" });
  assert.equal(ok.width, 4);
});
