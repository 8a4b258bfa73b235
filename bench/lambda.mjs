// 7. AWS Lambda, ours against `@opennextjs/aws` on the same cached `.next/` of a
// generated app, in the same run:
//
// - post-build with OpenNext's default AWS config (no overrides: aws-lambda,
//   aws-apigw-v2, s3-lite, dynamodb-lite, sqs-lite), every function built on both
//   sides (theirs includes the image function with its sharp install);
// - the size of every function folder of that output;
// - the server function's handler in a Lambda-like process (cwd = the function,
//   API Gateway v2 events, one at a time): cold start (process start → first result
//   for `/`) and warm events per second for a prerendered and an SSR page. Both
//   handlers use aws-lambda + aws-apigw-v2 with the fs-dev caches here: OpenNext's
//   lite S3/DynamoDB clients cannot be pointed at a local server, and nothing may
//   reach AWS from this machine.
//
//   node bench/lambda.mjs [--size small] [--runs 5] [--events 2000]
//
// Writes bench/LAMBDA-RESULTS.md and .work/lambda.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { prepareApp } from "./apps.mjs";
import { ensureOpenNextAws } from "./postbuild.mjs";
import { measureSizes } from "./sizes.mjs";
import {
  cliPath,
  fmtBytes,
  fmtMb,
  fmtMs,
  fmtS,
  fmtX,
  here,
  log,
  machine,
  measure,
  median,
  openNextAwsBin,
  stats,
  versionOf,
  work,
} from "./lib.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const size = opt("size", "small");
const runs = Number(opt("runs", "5"));
const events = Number(opt("events", "2000"));

const OURS = "open-next.config.ts";
const THEIRS = "opennext-aws.config.ts";
const HANDLER_OVERRIDES = `{ wrapper: "aws-lambda", converter: "aws-apigw-v2", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" }`;
// The image function reads the app's public/ through the same custom loader on both sides (OpenNext's
// own fs-dev loader only works inside its express-dev server, which defines `monorepoPackagePath`).
const imageConfig = (publicDir, extra = "") =>
  `imageOptimization: { loader: async () => ({ name: "bench-public", load: async (key) => ({ body: (await import("node:fs")).createReadStream(${JSON.stringify(publicDir)} + key), contentType: "image/jpeg", cacheControl: "public, max-age=31536000, immutable" }) })${extra} }`;
// OpenNext installs sharp into its image function for linux-arm64 by default (and its default
// sharp 0.32.6 downloads libvips from GitHub): here it gets the x64 build of the bench's sharp.
const THEIRS_INSTALL = `, install: { packages: ["sharp@0.35.5"], arch: "x64" }`;
// Ours is arm64 by default too, as OpenNext's: the handler runs here build it for x64 on both sides.
const OURS_INSTALL = `, install: { packages: [], arch: "x64" }`;
const IMAGE = "bench-photo.jpg";
const IMAGE_URL = `/_next/image?url=%2F${IMAGE}&w=640&q=75`;

async function buildBoth(dir, oursConfig, theirsConfig, keepAs, n) {
  const out = path.join(dir, ".open-next");
  const keep = path.join(dir, ".bench-out");
  mkdirSync(keep, { recursive: true });
  const res = { ours: { s: [], rss: [] }, theirs: { s: [], rss: [] } };
  for (let i = 0; i <= n; i++) {
    for (const tool of ["ours", "theirs"]) {
      rmSync(out, { recursive: true, force: true });
      rmSync(path.join(dir, OURS), { force: true });
      if (tool === "ours" && oursConfig) writeFileSync(path.join(dir, OURS), oursConfig);
      writeFileSync(path.join(dir, THEIRS), theirsConfig);
      const r =
        tool === "ours"
          ? await measure(process.execPath, [cliPath, "build", "--skip-next-build"], { cwd: dir })
          : await measure(process.execPath, [openNextAwsBin, "build", "--config-path", THEIRS], { cwd: dir });
      if (i > 0) {
        res[tool].s.push(r.s);
        res[tool].rss.push(r.rssMb);
      }
      if (i === n) {
        rmSync(path.join(keep, `${tool}-${keepAs}`), { recursive: true, force: true });
        renameSync(out, path.join(keep, `${tool}-${keepAs}`));
      }
    }
  }
  rmSync(path.join(dir, OURS), { force: true });
  rmSync(path.join(dir, THEIRS), { force: true });
  return {
    dirs: { ours: path.join(keep, `ours-${keepAs}`), theirs: path.join(keep, `theirs-${keepAs}`) },
    ours: { s: stats(res.ours.s), rss: stats(res.ours.rss) },
    theirs: { s: stats(res.theirs.s), rss: stats(res.theirs.rss) },
  };
}

function child(fnDir, argv, env = {}) {
  const r = spawnSync(process.execPath, [path.join(here, "lambda-child.mjs"), fnDir, ...argv], {
    encoding: "utf8",
    env: { ...process.env, AWS_REGION: "us-east-1", AWS_LAMBDA_FUNCTION_NAME: "bench", ...env },
    timeout: 300_000,
  });
  const line = r.stdout.trim().split("\n").pop();
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`lambda-child ${argv.join(" ")} in ${fnDir} failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

async function main() {
  ensureOpenNextAws();
  const app = await prepareApp(size);
  const { dir } = app;
  // A photo for the image functions (made offline with sharp, as bench/images.mjs does).
  const photo = path.join(dir, "public", IMAGE);
  if (!existsSync(photo)) {
    mkdirSync(path.dirname(photo), { recursive: true });
    const sharp = createRequire(path.join(here, "package.json"))("sharp");
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1280"><rect width="1920" height="1280" fill="#345"/>${Array.from({ length: 40 }, (_, i) => `<circle cx="${(i * 137) % 1920}" cy="${(i * 89) % 1280}" r="${30 + ((i * 53) % 200)}" fill="hsl(${(i * 47) % 360},70%,55%)" fill-opacity="0.6"/>`).join("")}</svg>`;
    writeFileSync(photo, await sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer());
  }
  log(`${size}: post-build with the default AWS config, ${runs} runs each`);
  const post = await buildBoth(dir, null, `export default { default: {}, buildCommand: "true" };\n`, "aws", runs);
  const sizes = { ours: measureSizes(post.dirs.ours), theirs: measureSizes(post.dirs.theirs) };

  log(`${size}: handler builds (aws-lambda + aws-apigw-v2, fs-dev caches)`);
  const handler = await buildBoth(
    dir,
    `export default { default: { override: ${HANDLER_OVERRIDES} }, ${imageConfig(path.join(dir, "public"), OURS_INSTALL)} };\n`,
    `export default { default: { override: ${HANDLER_OVERRIDES} }, ${imageConfig(path.join(dir, "public"), THEIRS_INSTALL)}, buildCommand: "true" };\n`,
    "lambda-fs",
    0,
  );
  const fn = (tool) => path.join(handler.dirs[tool], "server-functions/default");
  const prerendered = app.urls.find((u) => u.startsWith("/a/static-")) ?? "/";
  const ssr = app.urls.find((u) => u.startsWith("/a/ssr-")) ?? "/";
  const cold = { ours: [], theirs: [] };
  const status = {};
  for (let i = 0; i <= runs; i++) {
    for (const tool of ["ours", "theirs"]) {
      const r = child(fn(tool), ["cold", "/"]);
      status[tool] = r.status;
      if (i > 0) cold[tool].push(r.ms); // the first round warms the page cache
    }
  }
  const warm = {};
  for (const [name, url] of [
    ["prerendered", prerendered],
    ["ssr", ssr],
  ]) {
    warm[name] = { url, ours: [], theirs: [], status: {} };
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
      for (const tool of ["ours", "theirs"]) {
        const r = child(fn(tool), ["warm", url, String(events)]);
        warm[name][tool].push(r.perSecond);
        warm[name].status[tool] = r.status;
      }
    }
  }
  // The image function: cold start and warm throughput for a 1920×1280 JPEG → 640w WebP (theirs: sharp 0.35.5, x64).
  const imageFn = (tool) => path.join(handler.dirs[tool], "image-optimization-function");
  const webp = { BENCH_ACCEPT: "image/webp,*/*" };
  const image = { cold: { ours: [], theirs: [] }, warm: { ours: [], theirs: [] }, status: {} };
  for (let i = 0; i <= runs; i++) {
    for (const tool of ["ours", "theirs"]) {
      const r = child(imageFn(tool), ["cold", IMAGE_URL], webp);
      image.status[tool] = r.status;
      if (i > 0) image.cold[tool].push(r.ms);
    }
  }
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
    for (const tool of ["ours", "theirs"]) image.warm[tool].push(child(imageFn(tool), ["warm", IMAGE_URL, "60"], webp).perSecond);
  }
  const result = {
    size,
    runs,
    events,
    machine: machine(),
    opennext: versionOf(path.join(here, "node_modules/@opennextjs/aws/package.json")),
    postbuild: post,
    sizes,
    cold: { ours: stats(cold.ours), theirs: stats(cold.theirs), status },
    image: {
      url: IMAGE_URL,
      status: image.status,
      cold: { ours: stats(image.cold.ours), theirs: stats(image.cold.theirs) },
      warm: { ours: stats(image.warm.ours), theirs: stats(image.warm.theirs) },
    },
    warm: Object.fromEntries(
      Object.entries(warm).map(([k, v]) => [k, { url: v.url, status: v.status, ours: stats(v.ours), theirs: stats(v.theirs) }]),
    ),
  };
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, "lambda.json"), JSON.stringify(result, null, 2));
  writeFileSync(path.join(here, "LAMBDA-RESULTS.md"), render(result));
  console.log(render(result));
}

function render(r) {
  const L = [];
  L.push("# AWS Lambda: open-next-rs vs @opennextjs/aws", "");
  L.push(
    `Written by \`node bench/lambda.mjs\` (${r.size} app, ${r.runs} runs, medians; ${r.machine?.cpu ?? ""}). @opennextjs/aws ${r.opennext}.`,
    "",
  );
  L.push("## Post-build, OpenNext's default AWS config (every function built on both sides)", "");
  L.push("| | ours | @opennextjs/aws | ratio |", "|---|---|---|---|");
  const p = r.postbuild;
  L.push(`| wall time | ${fmtS(p.ours.s.median)} s | ${fmtS(p.theirs.s.median)} s | ${fmtX(p.theirs.s.median / p.ours.s.median)} faster |`);
  L.push(
    `| peak RSS | ${fmtMb(p.ours.rss.median)} MB | ${fmtMb(p.theirs.rss.median)} MB | ${fmtX(p.theirs.rss.median / p.ours.rss.median)} less |`,
  );
  L.push(
    "",
    "## Function sizes (that output)",
    "",
    "| function | ours | gzip | @opennextjs/aws | gzip | ours / theirs |",
    "|---|---|---|---|---|---|",
  );
  const names = [...new Set([...Object.keys(r.sizes.ours ?? {}), ...Object.keys(r.sizes.theirs ?? {})])];
  for (const n of names) {
    const o = r.sizes.ours?.[n];
    const t = r.sizes.theirs?.[n];
    L.push(
      `| ${n} | ${o ? fmtBytes(o.bytes) : "not built"} | ${o ? fmtBytes(o.gzip) : ""} | ${t ? fmtBytes(t.bytes) : "—"} | ${t ? fmtBytes(t.gzip) : ""} | ${o && t ? (o.bytes / t.bytes).toFixed(3) : "—"} |`,
    );
  }
  L.push(
    "",
    "Our server function carries the Router for linux-x64 and linux-arm64; both image functions are linux-arm64 only (OpenNext's default: ours the image addon, theirs sharp).",
  );
  L.push("", "## Server function handler (aws-lambda + aws-apigw-v2, fs-dev caches on both sides)", "");
  L.push("| | ours | @opennextjs/aws | ratio |", "|---|---|---|---|");
  L.push(
    `| cold start, process start → first result for \`/\` (status ${r.cold.status.ours} / ${r.cold.status.theirs}) | ${fmtMs(r.cold.ours.median)} ms | ${fmtMs(r.cold.theirs.median)} ms | ${(r.cold.ours.median / r.cold.theirs.median).toFixed(2)}× theirs |`,
  );
  for (const [name, w] of Object.entries(r.warm)) {
    L.push(
      `| warm events/s, ${name} \`${w.url}\` (status ${w.status.ours} / ${w.status.theirs}) | ${w.ours.median.toFixed(0)} | ${w.theirs.median.toFixed(0)} | ${fmtX(w.ours.median / w.theirs.median)} |`,
    );
  }
  if (r.image) {
    const im = r.image;
    L.push(
      "",
      "## Image function (aws-lambda + aws-apigw-v2, the same custom loader reading `public/` on both sides; `Accept: image/webp`)",
      "",
    );
    L.push("| | ours | @opennextjs/aws | ratio |", "|---|---|---|---|");
    L.push(
      `| cold start, process start → first result for \`${im.url}\` (status ${im.status.ours} / ${im.status.theirs}) | ${fmtMs(im.cold.ours.median)} ms | ${fmtMs(im.cold.theirs.median)} ms | ${(im.cold.ours.median / im.cold.theirs.median).toFixed(2)}× theirs |`,
    );
    L.push(
      `| warm images/s, one at a time | ${im.warm.ours.median.toFixed(1)} | ${im.warm.theirs.median.toFixed(1)} | ${fmtX(im.warm.ours.median / im.warm.theirs.median)} |`,
    );
  }
  L.push(
    "",
    "OpenNext's lite S3/DynamoDB clients always call AWS's own hosts, so the handler runs here use the fs-dev caches on both sides; the post-build and sizes use the true defaults.",
    "",
  );
  return `${L.join("\n")}\n`;
}

await main();
