// 1. Post-`next build` phase: `open-next build --skip-next-build` (ours) against
// `@opennextjs/aws build` with `buildCommand: "true"` on the same cached .next/,
// plus the floor: a plain `cp -r` of the same files. Wall time, peak RSS and a
// per-phase breakdown, min/median over N runs (runs alternate between the tools).
//
//   node bench/postbuild.mjs [--sizes small,medium] [--runs 5]
//
// The last output of each tool is kept in <app>/.bench-out/{ours,opennext}/ for the
// server, cold-start and bundle-size benchmarks.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { prepareApp } from "./apps.mjs";
import { cliPath, fmtMb, fmtS, fmtX, here, log, measure, median, NODE_OVERRIDES, openNextAwsBin, sh, stats, work } from "./lib.mjs";

export const OURS_CONFIG = "open-next.config.ts";
export const THEIRS_CONFIG = "opennext-aws.config.ts";

export function ensureOpenNextAws() {
  if (
    !existsSync(openNextAwsBin) ||
    !existsSync(path.join(here, "node_modules/esbuild")) ||
    !existsSync(path.join(here, "node_modules/sharp"))
  )
    sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], here);
}

/** Our CLI prints `  <phase>  <n> ms|s` lines. */
function ourPhases(stdout) {
  const phases = {};
  for (const line of stdout.split("\n")) {
    const m = /^ {2}(\S.*?)\s{2,}([\d.]+) (ms|s)$/.exec(line);
    if (m) phases[m[1]] = Number(m[2]) * (m[3] === "s" ? 1000 : 1);
  }
  return phases;
}

/**
 * OpenNext logs one line as each step starts; a phase lasts until the next marker.
 * `startup + config compile` runs until its first line ("Next.js version").
 */
function theirPhases(lines, wallMs) {
  const markers = [];
  let patchesMs = NaN;
  for (const { t, line } of lines) {
    let name = null;
    const header = /OpenNext — (.+?)\s*│/.exec(line);
    if (header)
      name =
        header[1] === "Building Next.js app"
          ? 'next build ("true")'
          : header[1] === "Generating bundle"
            ? "patch next.config, compile cache.ts"
            : header[1];
    else if (/^Next\.js version/.test(line)) name = "version checks";
    else if (/^Bundling middleware function/.test(line)) name = "middleware function";
    else if (/^Bundling static assets/.test(line)) name = "static assets";
    else if (/^Bundling cache assets/.test(line)) name = "cache assets";
    else if (/^Building server function: (.+?)\.\.\./.test(line)) name = `server function (copy traced files, patches, esbuild)`;
    else if (/^Bundling revalidation function/.test(line)) name = "revalidation function";
    else if (/^Bundling image optimization function/.test(line)) name = "image optimization function (incl. npm install sharp)";
    else if (/^Bundling warmer function/.test(line)) name = "warmer function + open-next.output.json";
    else if (/^OpenNext build complete/.test(line)) name = "exit";
    const p = /^Applying code patches: ([\d.]+)s/.exec(line);
    if (p) patchesMs = Number(p[1]) * 1000;
    if (name) markers.push({ t, name });
  }
  const phases = {};
  let prev = { t: 0, name: "node start-up + config compile (esbuild)" };
  for (const m of [...markers, { t: wallMs, name: null }]) {
    phases[prev.name] = (phases[prev.name] ?? 0) + (m.t - prev.t);
    prev = m;
  }
  if (Number.isFinite(patchesMs)) phases["  of which: code patches (OpenNext's own timer)"] = patchesMs;
  return phases;
}

function writeConfigs(dir) {
  writeFileSync(path.join(dir, OURS_CONFIG), `export default { default: { override: ${NODE_OVERRIDES} } };\n`);
  writeFileSync(path.join(dir, THEIRS_CONFIG), `export default { default: { override: ${NODE_OVERRIDES} }, buildCommand: "true" };\n`);
}

/** Runs the post-build comparison on one prepared app. */
export async function runPostbuild(app, { runs = 5, warmup = 1 } = {}) {
  ensureOpenNextAws();
  const { dir } = app;
  writeConfigs(dir);
  const outDir = path.join(dir, ".open-next");
  const keep = path.join(dir, ".bench-out");
  mkdirSync(keep, { recursive: true });
  const ours = { time: [], rss: [], phases: [], native: [] };
  const theirs = { time: [], rss: [], phases: [], error: null };
  const floor = { time: [], rss: [] };
  const runOurs = async (record) => {
    rmSync(outDir, { recursive: true, force: true });
    const r = await measure(process.execPath, [cliPath, "build", "--skip-next-build"], { cwd: dir });
    if (!record) return;
    const ph = ourPhases(r.stdout);
    ours.time.push(r.s);
    ours.rss.push(r.rssMb);
    ours.native.push(ph["post-build total"] ?? NaN);
    delete ph["post-build total"];
    delete ph.total;
    ph["node start-up, config, exit (wall − native post-build)"] = r.wallMs - (ours.native.at(-1) ?? 0);
    ours.phases.push(ph);
    ours.stdout = r.stdout;
  };
  const runTheirs = async (record, keepOutput = false) => {
    if (theirs.error) return;
    rmSync(outDir, { recursive: true, force: true });
    try {
      const r = await measure(process.execPath, [openNextAwsBin, "build", "--config-path", THEIRS_CONFIG], { cwd: dir });
      if (keepOutput) {
        rmSync(path.join(keep, "opennext"), { recursive: true, force: true });
        renameSync(outDir, path.join(keep, "opennext"));
      }
      if (!record) return;
      theirs.time.push(r.s);
      theirs.rss.push(r.rssMb);
      theirs.phases.push(theirPhases(r.lines, r.wallMs));
    } catch (e) {
      theirs.error =
        String(e.message)
          .split("\n")
          .filter((l) => /error|Error|failed/.test(l))
          .slice(0, 6)
          .join("\n") || String(e.message).slice(0, 800);
      theirs.fullError = e.message;
      log(`${app.size}: @opennextjs/aws build failed:\n${e.message}`);
    }
  };
  const runFloor = async () => {
    const dst = path.join(work, `cp-floor-${process.pid}`);
    rmSync(dst, { recursive: true, force: true });
    mkdirSync(dst);
    // The traced closure (.next/standalone) plus the static files, as a plain recursive copy.
    const r = await measure("cp", ["-r", ".next/standalone", ".next/static", "public", dst], { cwd: dir });
    rmSync(dst, { recursive: true, force: true });
    floor.time.push(r.s);
    floor.rss.push(r.rssMb);
  };
  for (let i = 0; i < warmup; i++) {
    log(`${app.size}: post-build warm-up`);
    await runOurs(false);
    await runTheirs(false);
  }
  for (let i = 0; i < runs; i++) {
    log(`${app.size}: post-build run ${i + 1}/${runs}`);
    await runOurs(true);
    // The last OpenNext output is kept for the server benchmarks.
    await runTheirs(true, i === runs - 1);
    await runFloor();
  }
  if (theirs.error) rmSync(path.join(keep, "opennext"), { recursive: true, force: true });
  // Keep one output of ours too (built last, so the app's .open-next/ is ours).
  await runOurs(false);
  rmSync(path.join(keep, "ours"), { recursive: true, force: true });
  renameSync(outDir, path.join(keep, "ours"));
  rmSync(path.join(dir, THEIRS_CONFIG), { force: true });
  return {
    size: app.size,
    ours: { time: stats(ours.time), rss: stats(ours.rss), native: stats(ours.native), phases: medianPhases(ours.phases) },
    theirs: theirs.error
      ? { error: theirs.error }
      : { time: stats(theirs.time), rss: stats(theirs.rss), phases: medianPhases(theirs.phases) },
    floor: { time: stats(floor.time), rss: stats(floor.rss) },
    outputs: { ours: path.join(keep, "ours"), opennext: theirs.error ? null : path.join(keep, "opennext") },
  };
}

/**
 * Ours alone on the variant of the app built with our Deployment Adapter (the input
 * path `open-next build` uses on Next >= 16.2; OpenNext cannot read its route cache).
 */
export async function runOursAdapter(app, { runs = 5 } = {}) {
  const { dir } = app;
  writeConfigs(dir);
  rmSync(path.join(dir, THEIRS_CONFIG), { force: true });
  const time = [];
  const rss = [];
  const native = [];
  let input = "";
  for (let i = 0; i <= runs; i++) {
    rmSync(path.join(dir, ".open-next"), { recursive: true, force: true });
    const r = await measure(process.execPath, [cliPath, "build", "--skip-next-build"], { cwd: dir });
    input = /read via ([^)]+)\)/.exec(r.stdout)?.[1] ?? input;
    if (i === 0) continue; // warm-up
    time.push(r.s);
    rss.push(r.rssMb);
    native.push(ourPhases(r.stdout)["post-build total"] ?? NaN);
  }
  return { time: stats(time), rss: stats(rss), native: stats(native), input };
}

function medianPhases(list) {
  const names = [];
  for (const p of list) for (const k of Object.keys(p)) if (!names.includes(k)) names.push(k);
  return names.map((name) => ({ name, ms: median(list.map((p) => p[name] ?? 0)) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
  const runs = Number(opt("--runs", 5));
  for (const size of opt("--sizes", "small").split(",")) {
    const app = await prepareApp(size);
    const r = await runPostbuild(app, { runs });
    console.log(`\n${size}: ${app.routes} routes, ${app.prerendered} prerendered`);
    console.log(`  ours     min ${fmtS(r.ours.time.min)} s  median ${fmtS(r.ours.time.median)} s  peak ${fmtMb(r.ours.rss.max)} MiB`);
    if (r.theirs.error) console.log(`  opennext FAILED: ${r.theirs.error}`);
    else {
      console.log(
        `  opennext min ${fmtS(r.theirs.time.min)} s  median ${fmtS(r.theirs.time.median)} s  peak ${fmtMb(r.theirs.rss.max)} MiB`,
      );
      console.log(
        `  ratio ${fmtX(r.theirs.time.median / r.ours.time.median)} faster, memory ${(r.ours.rss.max / r.theirs.rss.max).toFixed(3)} of OpenNext's`,
      );
    }
    console.log(`  cp -r floor min ${fmtS(r.floor.time.min)} s  median ${fmtS(r.floor.time.median)} s`);
  }
}
