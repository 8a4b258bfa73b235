// 3. Image transforms: ours (`optimizeImage` of the image addon) against sharp
// (libvips) doing what Next's image optimizer asks of it (`rotate()`, resize
// without enlarging, `webp({ quality })` / `jpeg({ quality, mozjpeg: true })` /
// `avif({ quality, effort: 3 })`), on
// each case of CASES, one transform after another, each tool in its own process;
// then the SSIM of both outputs against a lossless resize of the same input.
//
//   node bench/images.mjs [--runs 5]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
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

/** The cases: what Next's optimizer does for `/_next/image?w=<w>&q=<q>` with the negotiated type. */
export const CASES = [
  {
    id: "jpeg1920-webp640",
    label: "1920×1280 JPEG → 640w WebP q75",
    make: [1920, 1280, "jpeg"],
    width: 640,
    quality: 75,
    type: "image/webp",
  },
  {
    id: "jpeg2725-jpeg720",
    label: "2725×2225 JPEG → 720w JPEG q80",
    make: [2725, 2225, "jpeg"],
    width: 720,
    quality: 80,
    type: "image/jpeg",
  },
  {
    id: "jpeg2725-webp720",
    label: "2725×2225 JPEG → 720w WebP q80",
    make: [2725, 2225, "jpeg"],
    width: 720,
    quality: 80,
    type: "image/webp",
  },
  {
    id: "png-alpha-webp640",
    label: "1600×1200 PNG with alpha → 640w WebP q75",
    make: [1600, 1200, "png"],
    width: 640,
    quality: 75,
    type: "image/webp",
  },
  {
    id: "jpeg1920-avif640",
    label: "1920×1280 JPEG → 640w AVIF q75",
    make: [1920, 1280, "jpeg"],
    width: 640,
    quality: 75,
    type: "image/avif",
  },
  {
    id: "png-alpha-avif640",
    label: "1600×1200 PNG with alpha → 640w AVIF q75",
    make: [1600, 1200, "png"],
    width: 640,
    quality: 75,
    type: "image/avif",
  },
  {
    id: "avif1920-webp640",
    label: "1920×1280 AVIF → 640w WebP q75",
    make: [1920, 1280, "avif"],
    width: 640,
    quality: 75,
    type: "image/webp",
  },
];

/**
 * The quality the encoder gets: Next scales `q` for AVIF (`round(q · 50 / 80)`,
 * sharp's AVIF default over its WebP one) and passes the others through.
 */
const encoderQuality = (c) => (c.type === "image/avif" ? Math.max(Math.round((c.quality * 50) / 80), 1) : c.quality);

/** The input of a case, made once, offline, with sharp from an SVG (JPEG q90, PNG with alpha, or AVIF q60 4:2:0). */
async function caseInput(c) {
  const [w, h, kind] = c.make;
  const file = path.join(work, `images/input-${w}x${h}.${kind}`);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const sharp = createRequire(path.join(here, "package.json"))("sharp");
    let img = sharp(Buffer.from(svg(w, h)));
    img = kind === "png" ? img.ensureAlpha(0.7).png() : kind === "avif" ? img.avif({ quality: 60 }) : img.jpeg({ quality: 90 });
    writeFileSync(file, await img.toBuffer());
  }
  return file;
}

/** One transform as Next's `optimizeImage` asks sharp for it. */
function sharpTransform(sharp, input, c) {
  const t = sharp(input).rotate().resize(c.width, undefined, { withoutEnlargement: true });
  if (c.type === "image/avif") t.avif({ quality: encoderQuality(c), effort: 3 });
  else if (c.type === "image/webp") t.webp({ quality: c.quality });
  else if (c.type === "image/png") t.png({ quality: c.quality });
  else t.jpeg({ quality: c.quality, mozjpeg: true });
  return t.toBuffer();
}

/** The image addon (`optimizeImage`), or null when it is not built. */
export function ourImageApi() {
  try {
    const file = path.join(root, `open-next-image.linux-${process.arch}-gnu.node`);
    const native = createRequire(import.meta.url)(file);
    return typeof native.optimizeImage === "function" ? native : null;
  } catch {
    return null;
  }
}

async function worker(tool, runs) {
  let one;
  let threads = 1;
  if (tool === "sharp") {
    const sharp = createRequire(path.join(here, "package.json"))("sharp");
    sharp.cache(false);
    // Next's own setting: half the cores, at least one.
    sharp.concurrency(Math.floor(Math.max(os.availableParallelism() / 2, 1)));
    threads = sharp.concurrency();
    one = (input, c) => sharpTransform(sharp, input, c);
  } else if (tool === "ours") {
    const native = ourImageApi();
    one = async (input, c) => (await native.optimizeImage(input, { width: c.width, quality: encoderQuality(c), contentType: c.type })).data;
  } else throw new Error(`unknown tool ${tool}`);
  const out = {};
  for (const c of CASES) {
    const input = readFileSync(await caseInput(c));
    for (let i = 0; i < 3; i++) await one(input, c);
    const perSec = [];
    let bytes;
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      // Sequential, one request after another, as a function instance serves them.
      for (let i = 0; i < PER_RUN; i++) bytes = await one(input, c);
      perSec.push(PER_RUN / ((performance.now() - t) / 1000));
    }
    writeFileSync(path.join(work, `images/out-${tool}-${c.id}`), bytes);
    out[c.id] = { perSec, bytes: bytes.length };
  }
  process.stdout.write(JSON.stringify({ cases: out, threads }));
}

/**
 * Mean SSIM of `a` against `b` on luma, 8×8 windows (both decoded to the
 * reference's size): the quality side of the byte comparison.
 */
async function ssim(sharp, file, ref) {
  const { data: r, info } = await sharp(ref.data, { raw: ref.info }).greyscale().raw().toBuffer({ resolveWithObject: true });
  const { data: a } = await sharp(file)
    .resize(info.width, info.height, { fit: "fill" })
    .flatten()
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const [C1, C2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2];
  let sum = 0;
  let n = 0;
  for (let y = 0; y + 8 <= info.height; y += 8) {
    for (let x = 0; x + 8 <= info.width; x += 8) {
      let [ma, mb, va, vb, cov] = [0, 0, 0, 0, 0];
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * info.width + x + i;
          ma += a[k];
          mb += r[k];
        }
      ma /= 64;
      mb /= 64;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * info.width + x + i;
          va += (a[k] - ma) ** 2;
          vb += (r[k] - mb) ** 2;
          cov += (a[k] - ma) * (r[k] - mb);
        }
      [va, vb, cov] = [va / 63, vb / 63, cov / 63];
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      n++;
    }
  }
  return sum / n;
}

export async function runImages({ runs = 5 } = {}) {
  const res = { perRun: PER_RUN, cases: CASES.map(({ id, label }) => ({ id, label })), ours: null, sharp: null };
  for (const c of CASES) await caseInput(c);
  const run = async (tool) => {
    try {
      const r = await measure(process.execPath, [path.join(here, "images.mjs"), "--worker", tool, String(runs)], { cwd: here });
      const j = JSON.parse(r.stdout);
      return {
        rssMb: r.rssMb,
        threads: j.threads,
        cases: Object.fromEntries(Object.entries(j.cases).map(([k, v]) => [k, { ...v, perSec: stats(v.perSec) }])),
      };
    } catch (e) {
      return { error: e.message.split("\n").slice(0, 6).join("\n") };
    }
  };
  res.ours = ourImageApi() ? await run("ours") : { notBuilt: "the image addon is not built (run npm run build)" };
  res.sharp = await run("sharp");
  if (res.ours.cases && res.sharp.cases) {
    // Quality: SSIM of each output against a lossless resize of the same input.
    const sharp = createRequire(path.join(here, "package.json"))("sharp");
    for (const c of CASES) {
      const input = readFileSync(await caseInput(c));
      const ref = await sharp(input).rotate().resize(c.width).flatten().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      for (const tool of ["ours", "sharp"])
        res[tool].cases[c.id].ssim = await ssim(sharp, path.join(work, `images/out-${tool}-${c.id}`), ref);
    }
  }
  return res;
}

const argv = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  if (argv[0] === "--worker") await worker(argv[1], Number(argv[2]));
  else console.log(JSON.stringify(await runImages({ runs: Number(argv[argv.indexOf("--runs") + 1] || 5) }), null, 2));
}
