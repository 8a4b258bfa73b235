// 3. Image transforms: the anchor is sharp (libvips), doing what Next's image
// optimizer does for `/_next/image?w=640&q=75` with a WebP Accept header: decode a
// 1920×1280 JPEG, resize to 640 wide, encode WebP at quality 75. Our Rust image
// transforms are not built yet; the harness says so and still measures sharp.
//
//   node bench/images.mjs [--runs 5]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { here, measure, root, stats, work } from "./lib.mjs";

const PER_RUN = 30;

function svg(w, h) {
  let shapes = "";
  for (let i = 0; i < 60; i++) {
    const x = (i * 137) % w;
    const y = (i * 89) % h;
    const r = 20 + ((i * 53) % 160);
    shapes += `<circle cx="${x}" cy="${y}" r="${r}" fill="hsl(${(i * 47) % 360},70%,55%)" fill-opacity="0.6"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#123"/><stop offset="1" stop-color="#fc8"/></linearGradient></defs>
<rect width="${w}" height="${h}" fill="url(#g)"/>${shapes}
<text x="60" y="${h / 2}" font-size="140" fill="#fff" font-family="sans-serif">open-next-rs bench</text></svg>`;
}

/** A deterministic 1920×1280 JPEG (q90), made offline with sharp from an SVG. */
async function inputImage() {
  const file = path.join(work, "images/input-1920x1280.jpg");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const sharp = createRequire(path.join(here, "package.json"))("sharp");
    writeFileSync(
      file,
      await sharp(Buffer.from(svg(1920, 1280)))
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  return file;
}

async function worker(tool, file, runs) {
  const input = readFileSync(file);
  if (tool !== "sharp") throw new Error(`unknown tool ${tool}`);
  const sharp = createRequire(path.join(here, "package.json"))("sharp");
  sharp.cache(false);
  const one = () => sharp(input).rotate().resize({ width: 640, withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
  for (let i = 0; i < 3; i++) await one();
  const perSec = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    // Sequential, one request after another (libvips uses its own thread pool per image).
    for (let i = 0; i < PER_RUN; i++) bytes = (await one()).length;
    perSec.push(PER_RUN / ((performance.now() - t) / 1000));
  }
  process.stdout.write(JSON.stringify({ perSec, bytes, threads: sharp.concurrency() }));
}

/** The native addon's exports that look like image transforms (none yet). */
export function nativeImageApi() {
  try {
    const native = createRequire(import.meta.url)(path.join(root, "index.js"));
    return Object.keys(native).filter((k) => /image/i.test(k));
  } catch {
    return [];
  }
}

export async function runImages({ runs = 5 } = {}) {
  const file = await inputImage();
  const res = { input: path.relative(root, file), inputBytes: readFileSync(file).length, perRun: PER_RUN, ours: null, sharp: null };
  const api = nativeImageApi();
  res.ours = api.length
    ? { notWired: `the addon exports ${api.join(", ")}, but this harness does not call it yet` }
    : { notBuilt: "not built yet (no image transform in the native addon)" };
  try {
    const r = await measure(process.execPath, [path.join(here, "images.mjs"), "--worker", "sharp", file, String(runs)], { cwd: here });
    const j = JSON.parse(r.stdout);
    res.sharp = { perSec: stats(j.perSec), bytes: j.bytes, rssMb: r.rssMb, threads: j.threads };
  } catch (e) {
    res.sharp = { error: e.message.split("\n").slice(0, 6).join("\n") };
  }
  return res;
}

const argv = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  if (argv[0] === "--worker") await worker(argv[1], argv[2], Number(argv[3]));
  else console.log(JSON.stringify(await runImages({ runs: Number(argv[argv.indexOf("--runs") + 1] || 5) }), null, 2));
}
