// Post-`next build` phase: open-next-rs against @opennextjs/aws on the same
// fixture app, in the same run. Reports wall time and peak RSS (min/median over N runs).
//
//   node bench/postbuild.mjs [--runs 5] [--app next16]
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt("--runs", 5));
const appName = opt("--app", "next16");
const work = path.join(here, ".work");
const app = path.join(work, appName);

function sh(cmd, argv, cwd, env = {}) {
  const r = spawnSync(cmd, argv, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

// Measures one command with GNU time: wall seconds and max RSS (KiB).
function measure(cmd, argv, cwd) {
  const r = spawnSync("/usr/bin/time", ["-f", "__TIME__ %e %M", cmd, ...argv], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return { s: Number(m[1]), rssMb: Number(m[2]) / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const NODE_OVERRIDES = `{ wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" }`;

export function prepare() {
  if (!existsSync(path.join(here, "node_modules/@opennextjs/aws")))
    sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], here);
  if (!existsSync(path.join(app, ".next/standalone"))) {
    rmSync(app, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    cpSync(path.join(root, "__test__/fixtures", appName), app, {
      recursive: true,
      filter: (s) => !/[/\\](node_modules|\.next|\.open-next)$/.test(s),
    });
    sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app);
    sh("npx", ["next", "build"], app, { NEXT_PRIVATE_STANDALONE: "true", NEXT_TELEMETRY_DISABLED: "1" });
  }
}

export function runPostbuild() {
  prepare();
  const ours = { time: [], rss: [] };
  const theirs = { time: [], rss: [] };
  const oursCfg = path.join(app, "open-next.config.ts");
  const theirsCfg = path.join(app, "opennext-aws.config.ts");
  writeFileSync(oursCfg, `export default { default: { override: ${NODE_OVERRIDES} } };\n`);
  writeFileSync(theirsCfg, `export default { default: { override: ${NODE_OVERRIDES} }, buildCommand: "true" };\n`);
  const theirBin = path.join(here, "node_modules/@opennextjs/aws/dist/index.js");
  for (let i = 0; i < runs; i++) {
    rmSync(path.join(app, ".open-next"), { recursive: true, force: true });
    const a = measure(process.execPath, [path.join(root, "bin/open-next.mjs"), "build", "--skip-next-build"], app);
    ours.time.push(a.s);
    ours.rss.push(a.rssMb);
    rmSync(path.join(app, ".open-next"), { recursive: true, force: true });
    const b = measure(process.execPath, [theirBin, "build", "--config-path", "opennext-aws.config.ts"], app);
    theirs.time.push(b.s);
    theirs.rss.push(b.rssMb);
  }
  // Native post-build phase as reported by our own build (excludes Node start-up and config evaluation).
  rmSync(path.join(app, ".open-next"), { recursive: true, force: true });
  const out = sh(process.execPath, [path.join(root, "bin/open-next.mjs"), "build", "--skip-next-build"], app, {}).stdout;
  rmSync(oursCfg);
  rmSync(theirsCfg);
  const nativeMs = Number(/post-build total\s+([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  return { ours, theirs, nativeMs, out };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ours, theirs, nativeMs } = runPostbuild();
  const versions = {
    node: process.version,
    next: JSON.parse(readFileSync(path.join(app, "node_modules/next/package.json"), "utf8")).version,
    opennext: JSON.parse(readFileSync(path.join(here, "node_modules/@opennextjs/aws/package.json"), "utf8")).version,
  };
  const row = (name, r) =>
    `| ${name} | ${Math.min(...r.time).toFixed(2)} | ${median(r.time).toFixed(2)} | ${Math.max(...r.rss).toFixed(0)} |`;
  console.log(
    `Post-build phase on ${appName} (${runs} runs, ${os.cpus().length} cores, ${versions.node}, next ${versions.next}, @opennextjs/aws ${versions.opennext})\n`,
  );
  console.log("| tool | min s | median s | peak RSS MB |\n|---|---|---|---|");
  console.log(row("open-next-rs (whole CLI process)", ours));
  console.log(row("@opennextjs/aws", theirs));
  console.log(`\nopen-next-rs native post-build pipeline alone: ${nativeMs} ms`);
  console.log(`ratio (median wall, whole process): ${(median(theirs.time) / median(ours.time)).toFixed(1)}x faster`);
  console.log(`ratio (peak RSS): ${(Math.max(...ours.rss) / Math.max(...theirs.rss)).toFixed(3)} of @opennextjs/aws`);
}
