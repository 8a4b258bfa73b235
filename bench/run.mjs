// The benchmark harness: every side-by-side comparison in one run, written to
// bench/RESULTS.md (and the raw numbers to bench/.work/results.json).
//
//   node bench/run.mjs [--sizes small,medium | all] [--runs 5] [--duration 10] [--connections 16]
//                      [--only postbuild,sizes,coldstart,http,bundle,trace,images,routing]
//
// Sizes default to small,medium; `--sizes all` adds the large app (its `next build`
// takes many minutes on 2 cores, once: .next/ is cached under bench/.work/apps/).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { prepareApp } from "./apps.mjs";
import { runBundle } from "./bundle.mjs";
import { SIZES } from "./gen.mjs";
import { runImages } from "./images.mjs";
import { fmtBytes, fmtMb, fmtMs, fmtS, fmtX, here, log, machine, root, tail, work } from "./lib.mjs";
import { ensureOpenNextAws, runOursAdapter, runPostbuild } from "./postbuild.mjs";
import { runRouting } from "./routing.mjs";
import { runColdStart, runHttp } from "./serve.mjs";
import { measureSizes } from "./sizes.mjs";

const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const sizesArg = opt("--sizes", "small,medium");
const sizes =
  sizesArg === "all"
    ? Object.keys(SIZES)
    : sizesArg
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
for (const s of sizes) if (!SIZES[s]) throw new Error(`unknown size "${s}" (sizes: ${Object.keys(SIZES).join(", ")}, or all)`);
const runs = Number(opt("--runs", 5));
const duration = Number(opt("--duration", 10));
const connections = Number(opt("--connections", 16));
const ALL = ["postbuild", "sizes", "coldstart", "http", "bundle", "trace", "images", "routing"];
const only = new Set(opt("--only", ALL.join(",")).split(","));
const resultsFile = path.join(here, "RESULTS.md");

// `--render-only`: rewrite RESULTS.md from the raw numbers of the last run (after a change to the report).
if (args.includes("--render-only")) {
  writeFileSync(resultsFile, render(JSON.parse(readFileSync(path.join(work, "results.json"), "utf8"))));
  log(`rewrote ${path.relative(process.cwd(), resultsFile)} from ${path.relative(process.cwd(), path.join(work, "results.json"))}`);
  process.exit(0);
}

function ensureWrk() {
  if (spawnSync("wrk", ["-v"]).error) throw new Error("wrk is not installed: apt-get update && apt-get install -y wrk");
}

/** bench/trace.mjs (tracer vs @vercel/nft) is owned separately; call it when it exists. */
function runTrace() {
  const script = path.join(here, "trace.mjs");
  if (!existsSync(script)) return { notBuilt: "not built yet (bench/trace.mjs does not exist)" };
  log("tracing: node bench/trace.mjs");
  const r = spawnSync(process.execPath, [script, "--runs", String(runs)], {
    cwd: root,
    encoding: "utf8",
    timeout: 3_600_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    return {
      error: `bench/trace.mjs exited with ${r.status}${r.signal ? ` (${r.signal})` : ""}:\n${tail(r.stdout, 15)}\n${tail(r.stderr, 15)}`,
    };
  return { stdout: r.stdout.trim() };
}

/** bench/routing-decisions.mjs (the router's own micro-benchmark on the next16 fixture), when present. */
function runRoutingDecisions() {
  const script = path.join(here, "routing-decisions.mjs");
  if (!existsSync(script)) return null;
  log("routing: node bench/routing-decisions.mjs (next16 fixture)");
  const r = spawnSync(process.execPath, [script, "--runs", String(runs)], {
    cwd: root,
    encoding: "utf8",
    timeout: 1_800_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    return { error: `bench/routing-decisions.mjs exited with ${r.status}:\n${tail(r.stdout, 10)}\n${tail(r.stderr, 10)}` };
  return { stdout: r.stdout.trim() };
}

/** Exports of the native addon that look like a router (none yet). */
function routingApi() {
  try {
    return Object.keys(createRequire(import.meta.url)(path.join(root, "index.js"))).filter((k) => /rout/i.test(k));
  } catch {
    return [];
  }
}

const startedAt = new Date();
const load0 = os.loadavg();
// Install the anchors first, so the versions stated are the ones that ran.
ensureOpenNextAws();
const m = machine();
const res = {
  startedAt: startedAt.toISOString(),
  machine: m,
  sizes,
  runs,
  apps: {},
  postbuild: {},
  sizesOut: {},
  coldstart: {},
  http: {},
  routing: {},
};

if (only.has("http")) ensureWrk();

for (const size of sizes) {
  const app = await prepareApp(size);
  res.apps[size] = { ...app, dir: path.relative(root, app.dir) };
  let outputs = { ours: path.join(app.dir, ".bench-out/ours"), opennext: path.join(app.dir, ".bench-out/opennext") };
  if (only.has("postbuild")) {
    const pb = await runPostbuild(app, { runs });
    res.postbuild[size] = pb;
    outputs = pb.outputs;
  } else {
    for (const k of Object.keys(outputs)) if (!existsSync(outputs[k])) outputs[k] = null;
  }
  if (only.has("sizes")) res.sizesOut[size] = { ours: measureSizes(outputs.ours), opennext: measureSizes(outputs.opennext) };
  if (only.has("coldstart")) {
    log(`${size}: cold start`);
    res.coldstart[size] = await runColdStart(app, outputs, { runs });
  }
  if (only.has("http")) res.http[size] = await runHttp(app, outputs, { runs, duration, connections });
  if (only.has("routing") || only.has("postbuild")) {
    // The same app built with our Deployment Adapter: our routing table comes from it.
    const adapterApp = await prepareApp(size, { adapter: true });
    res.apps[size].adapterNextBuild = adapterApp.nextBuild;
    if (only.has("postbuild")) {
      log(`${size}: post-build (ours) on the adapter build`);
      res.postbuild[size].oursAdapter = await runOursAdapter(adapterApp, { runs });
    }
    if (only.has("routing")) {
      const api = routingApi();
      if (!api.includes("Router")) res.routing[size] = { notBuilt: "not built yet (the native addon has no Router)" };
      else {
        try {
          res.routing[size] = await runRouting(app, adapterApp, outputs.opennext, { runs });
        } catch (e) {
          res.routing[size] = { error: e.message.split("\n").slice(0, 8).join("\n") };
        }
      }
    }
  }
}
if (only.has("bundle")) {
  log("bundling: ours vs esbuild");
  res.bundle = await runBundle({ runs });
}
if (only.has("trace")) res.trace = runTrace();
if (only.has("routing")) res.routingFixture = runRoutingDecisions();
if (only.has("images")) {
  log("images: ours and sharp");
  res.images = await runImages({ runs });
}
res.finishedAt = new Date().toISOString();
res.loadavg = { start: load0, end: os.loadavg() };
mkdirSync(work, { recursive: true });
writeFileSync(path.join(work, "results.json"), `${JSON.stringify(res, null, 2)}\n`);
writeFileSync(resultsFile, render(res));
log(`wrote ${path.relative(process.cwd(), resultsFile)} (raw numbers: ${path.relative(process.cwd(), path.join(work, "results.json"))})`);

// ---------------------------------------------------------------------------

function render(r) {
  const m = r.machine;
  const L = [];
  const p = (s = "") => L.push(s);
  const minMed = (st, f) => (st && Number.isFinite(st.median) ? `${f(st.min)} / ${f(st.median)}` : "—");
  const ok = (cond) => (cond === null ? "—" : cond ? "✅ met" : "❌ not met");
  const sizesRun = r.sizes.join(", ");
  const notRun = Object.keys(SIZES).filter((s) => !r.sizes.includes(s));

  p("# Benchmark results");
  p();
  p(
    `Generated by \`node bench/run.mjs --sizes ${sizesArg} --runs ${r.runs}${only.size < ALL.length ? ` --only ${[...only].join(",")}` : ""}\` on ${r.startedAt.slice(0, 16).replace("T", " ")} UTC (took ${Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 60000)} min). Regenerate with the same command; \`node bench/run.mjs --sizes all\` adds the large app.`,
  );
  p();
  p(
    `- **Machine**: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM, ${m.kernel}. Load average ${r.loadavg.start.map((x) => x.toFixed(2)).join(" ")} at start, ${r.loadavg.end.map((x) => x.toFixed(2)).join(" ")} at the end: the machine is shared and noisy, so read the ratios, not the absolute numbers.`,
  );
  p(
    `- **Versions**: Node ${m.node}; open-next-rs ${m.ours}; @opennextjs/aws ${m.opennext}; Next.js ${"16.4.6"} with React 19.3.1 (generated apps); esbuild ${m.esbuild}; @next/routing ${m.nextRouting}; sharp ${m.sharp}; @vercel/nft ${m.nft}; wrk ${m.wrk}.`,
  );
  p(`- **Sizes run**: ${sizesRun}.${notRun.length ? ` Not run: ${notRun.join(", ")} (\`--sizes all\`).` : ""}`);
  p(
    `- **Statistics**: min and median over ${r.runs} runs each${r.runs < 5 ? " (**fewer than 5 runs: a quick run, not for comparison**)" : ""}; runs alternate between the tools after one warm-up. Peak RSS is the largest single process of the tree (GNU time / VmHWM), max over the runs. Ratios use medians.`,
  );
  p();
  p("| app | routes | prerendered pages (prerender-manifest) | files in .next/standalone | `next build` (once, cached) |");
  p("|---|---|---|---|---|");
  for (const s of r.sizes) {
    const a = r.apps[s];
    p(
      `| ${s} | ${a.routes} | ${a.prerendered} | ${a.standaloneFiles} | ${fmtS(a.nextBuild.s)} s, ${fmtMb(a.nextBuild.rssMb)} MiB peak${a.nextBuild.cached ? " (cached)" : ""} |`,
    );
  }
  p();

  // ---- Summary
  p("## Summary against the targets");
  p();
  p(
    "| # | comparison | size | ours min / median | ours peak RSS | anchor | anchor min / median | anchor peak RSS | ratio (median) | target | status |",
  );
  p("|---|---|---|---|---|---|---|---|---|---|---|");
  const row = (...c) => p(`| ${c.join(" | ")} |`);
  for (const s of r.sizes) {
    const pb = r.postbuild[s];
    if (!pb) {
      row("1", "post-build, whole CLI process", s, "not run (`--only`)", "", "@opennextjs/aws", "", "", "", "≥ 20× faster", "—");
      continue;
    }
    if (pb.theirs.error) {
      row(
        "1",
        "post-build, whole CLI process",
        s,
        `${minMed(pb.ours.time, fmtS)} s`,
        `${fmtMb(pb.ours.rss.max)} MiB`,
        "@opennextjs/aws",
        `failed: ${oneLine(pb.theirs.error)}`,
        "",
        "—",
        "≥ 20× faster",
        "—",
      );
    } else {
      const x = pb.theirs.time.median / pb.ours.time.median;
      const mem = pb.ours.rss.max / pb.theirs.rss.max;
      row(
        "1",
        "post-build, whole CLI process",
        s,
        `${minMed(pb.ours.time, fmtS)} s`,
        `${fmtMb(pb.ours.rss.max)} MiB`,
        '@opennextjs/aws (`buildCommand: "true"`)',
        `${minMed(pb.theirs.time, fmtS)} s`,
        `${fmtMb(pb.theirs.rss.max)} MiB`,
        `${fmtX(x)} faster`,
        "≥ 20× faster",
        ok(x >= 20),
      );
      row(
        "1",
        "post-build, peak memory",
        s,
        "",
        `${fmtMb(pb.ours.rss.max)} MiB`,
        "@opennextjs/aws",
        "",
        `${fmtMb(pb.theirs.rss.max)} MiB`,
        `${mem.toFixed(3)} of theirs`,
        "≤ 1/5 (0.200)",
        ok(mem <= 0.2),
      );
    }
    row(
      "1",
      "post-build vs the floor",
      s,
      `${minMed(pb.ours.time, fmtS)} s`,
      `${fmtMb(pb.ours.rss.max)} MiB`,
      "`cp -r .next/standalone .next/static public`",
      `${minMed(pb.floor.time, fmtS)} s`,
      `${fmtMb(pb.floor.rss.max)} MiB`,
      `${fmtX(pb.ours.time.median / pb.floor.time.median)} the floor`,
      "(reference)",
      "—",
    );
  }
  const growth = scaling(r);
  if (growth)
    row(
      "1",
      "post-build growth",
      growth.span,
      growth.ours,
      "",
      "@opennextjs/aws",
      growth.theirs,
      "",
      growth.ratio,
      "linear in routes",
      growth.status,
    );
  // Tracing
  if (r.trace?.stdout) {
    // One row per table of bench/trace.mjs: "### <title>, N runs" then "| ours | files | min | median | trace | rss | ... |".
    const sections = r.trace.stdout.split(/^### /m).slice(1);
    for (const sec of sections) {
      const title = sec.split("\n")[0].replace(/, \d+ runs$/, "");
      const cells = (name) =>
        sec
          .split("\n")
          .find((l) => l.startsWith(`| ${name} |`))
          ?.split("|")
          .map((c) => c.trim());
      const ours = cells("ours");
      const nft = cells("@vercel/nft");
      if (!ours || !nft) continue;
      const x = Number(nft[4]) / Number(ours[4]);
      row(
        "2",
        title,
        "—",
        `${ours[3]} / ${ours[4]} s (${ours[2]} files)`,
        `${ours[6]} MiB`,
        "@vercel/nft",
        `${nft[3]} / ${nft[4]} s (${nft[2]} files)`,
        `${nft[6]} MiB`,
        `${x.toFixed(1)}× faster (whole process)`,
        "≥ 10× faster",
        ok(x >= 10),
      );
    }
  } else
    row(
      "2",
      "tracing",
      "—",
      r.trace ? (r.trace.notBuilt ?? `failed: ${oneLine(r.trace.error)}`) : "not run (`--only`)",
      "",
      "@vercel/nft",
      "",
      "",
      "—",
      "≥ 10× faster",
      "—",
    );
  // Bundling
  if (r.bundle) {
    for (const kind of ["plain", "minified"]) {
      const b = r.bundle[kind];
      if (b.ours.error || b.esbuild.error) {
        row(
          "2",
          `bundling (${kind})`,
          "—",
          b.ours.error ? `failed: ${oneLine(b.ours.error)}` : `${minMed(b.ours.ms, fmtMs)} ms`,
          "",
          "esbuild",
          b.esbuild.error ? `failed: ${oneLine(b.esbuild.error)}` : `${minMed(b.esbuild.ms, fmtMs)} ms`,
          "",
          "—",
          "≤ 1.5× esbuild's time",
          "—",
        );
        continue;
      }
      const x = b.ours.ms.median / b.esbuild.ms.median;
      row(
        "2",
        `bundling the server runtime (${kind}), per call`,
        "—",
        `${minMed(b.ours.ms, fmtMs)} ms → ${fmtBytes(b.ours.bytes)}`,
        `${fmtMb(b.ours.rssMb)} MiB`,
        `esbuild ${m.esbuild}`,
        `${minMed(b.esbuild.ms, fmtMs)} ms → ${fmtBytes(b.esbuild.bytes)}`,
        `${fmtMb(b.esbuild.rssMb)} MiB`,
        `${x.toFixed(2)}× esbuild's time`,
        "≤ 1.5×",
        ok(x <= 1.5),
      );
      const sz = b.ours.bytes / b.esbuild.bytes;
      row(
        "2",
        `bundle size of the server runtime (${kind})`,
        "—",
        fmtBytes(b.ours.bytes),
        "",
        `esbuild ${m.esbuild}`,
        fmtBytes(b.esbuild.bytes),
        "",
        `${sz.toFixed(2)}× esbuild's size`,
        "≤ 1.1×",
        ok(sz <= 1.1),
      );
    }
    const pk = r.bundle.packages;
    if (pk && !pk.ours.error && !pk.esbuild.error) {
      row(
        "2",
        "bundling npm packages too (AWS SDK S3/DynamoDB/SQS clients + express), per call",
        "—",
        `${minMed(pk.ours.ms, fmtMs)} ms → ${fmtBytes(pk.ours.bytes)}`,
        `${fmtMb(pk.ours.rssMb)} MiB`,
        `esbuild ${m.esbuild}`,
        `${minMed(pk.esbuild.ms, fmtMs)} ms → ${fmtBytes(pk.esbuild.bytes)}`,
        `${fmtMb(pk.esbuild.rssMb)} MiB`,
        `${(pk.ours.ms.median / pk.esbuild.ms.median).toFixed(2)}× esbuild's time, ${(pk.ours.bytes / pk.esbuild.bytes).toFixed(2)}× its size`,
        "(reference)",
        "—",
      );
    }
  } else row("2", "bundling", "—", "not run (`--only`)", "", "esbuild", "", "", "—", "≤ 1.5×", "—");
  // Images
  if (r.images) {
    const { ours, sharp: sh } = r.images;
    for (const c of r.images.cases) {
      const o = ours.cases?.[c.id];
      const t = sh.cases?.[c.id];
      const speed = o && t ? o.perSec.median / t.perSec.median : undefined;
      row(
        "3",
        `image transform (${c.label}), images/s`,
        "—",
        o ? `${minMed(o.perSec, (x) => x.toFixed(1))} img/s` : (ours.notBuilt ?? `failed: ${oneLine(ours.error ?? "")}`),
        o ? `${fmtMb(ours.rssMb)} MiB` : "",
        `sharp ${m.sharp}`,
        t ? `${minMed(t.perSec, (x) => x.toFixed(1))} img/s` : `failed: ${oneLine(sh.error ?? "")}`,
        t ? `${fmtMb(sh.rssMb)} MiB` : "",
        speed
          ? `${speed.toFixed(2)}× sharp's throughput; ${(o.bytes / t.bytes).toFixed(3)}× its bytes at SSIM ${o.ssim.toFixed(4)} / ${t.ssim.toFixed(4)}`
          : "—",
        "≥ sharp's throughput; ≤ 1.05× bytes",
        speed === undefined ? "—" : speed >= 1 && o.bytes <= 1.05 * t.bytes ? "✅ met" : "❌ not met",
      );
    }
  } else row("3", "image transforms", "—", "not run (`--only`)", "", "sharp", "", "", "—", "≥ sharp", "—");
  // Routing decisions
  for (const s of r.sizes) {
    const rt = r.routing[s];
    if (!rt) {
      row(
        "4",
        "routing decisions per second",
        s,
        "not run (`--only`)",
        "",
        "OpenNext's routing layer",
        "",
        "",
        "—",
        "≥ 5× faster per decision",
        "—",
      );
      continue;
    }
    if (rt.notBuilt || rt.error) {
      row(
        "4",
        "routing decisions per second",
        s,
        rt.notBuilt ?? `failed: ${oneLine(rt.error)}`,
        "",
        "OpenNext's routing layer",
        "",
        "",
        "—",
        "≥ 5× faster per decision",
        "—",
      );
      continue;
    }
    const o = rt.tools.ours;
    const dec = (x) => (!x ? "—" : x.error ? `failed: ${oneLine(x.error)}` : `${minMed(x.perSec, (v) => (v / 1000).toFixed(1))} k/s`);
    for (const [anchor, label, target] of [
      ["opennext", "@opennextjs/aws routingHandler", "≥ 5× faster per decision"],
      ["next-routing", "`@next/routing` resolveRoutes (Next's reference)", "(reference)"],
    ]) {
      const t = rt.tools[anchor];
      const x = o && t && !o.error && !t.error ? o.perSec.median / t.perSec.median : NaN;
      row(
        "4",
        `routing decisions per second (${rt.requests} requests in a loop)`,
        s,
        dec(o),
        o?.rssMb ? `${fmtMb(o.rssMb)} MiB` : "—",
        label,
        dec(t),
        t?.rssMb ? `${fmtMb(t.rssMb)} MiB` : "—",
        Number.isFinite(x) ? `${x.toFixed(2)}× faster` : "—",
        target,
        target.startsWith("≥") && Number.isFinite(x) ? ok(x >= 5) : "—",
      );
    }
  }
  // HTTP
  for (const s of r.sizes) {
    const h = r.http[s];
    if (!h) continue;
    if (!h.scenarios.length) {
      row(
        "4",
        "HTTP req/s through the server function",
        s,
        h.servers.ours?.error ? `failed: ${oneLine(h.servers.ours.error)}` : "—",
        "",
        "@opennextjs/aws",
        h.servers.opennext?.error ? `failed: ${oneLine(h.servers.opennext.error)}` : "—",
        "",
        "—",
        "(informational)",
        "—",
      );
      continue;
    }
    for (const sc of h.scenarios) {
      const o = sc.tools.ours;
      const t = sc.tools.opennext;
      row(
        "4",
        `HTTP req/s, ${sc.name} (wrk -c${connections}, ${duration} s)`,
        s,
        o ? `${minMed(o.rps, (x) => x.toFixed(0))} req/s` : "—",
        h.servers.ours?.peakRssMb ? `${fmtMb(h.servers.ours.peakRssMb)} MiB` : "—",
        "@opennextjs/aws output",
        t
          ? `${minMed(t.rps, (x) => x.toFixed(0))} req/s`
          : h.servers.opennext?.error
            ? `failed: ${oneLine(h.servers.opennext.error)}`
            : "—",
        h.servers.opennext?.peakRssMb ? `${fmtMb(h.servers.opennext.peakRssMb)} MiB` : "—",
        o && t ? `${(o.rps.median / t.rps.median).toFixed(2)}× theirs` : "—",
        "(informational; ≥ 1×)",
        o && t ? ok(o.rps.median >= t.rps.median * 0.95) : "—",
      );
    }
  }
  // Cold start
  for (const s of r.sizes) {
    const c = r.coldstart[s];
    if (!c) continue;
    const o = c.ours;
    const t = c.opennext;
    const cell = (x) => (!x ? "—" : x.error ? `failed: ${oneLine(x.error)}` : `${minMed(x.ms, fmtMs)} ms`);
    row(
      "5",
      "cold start: process start → end of first response (`/`)",
      s,
      cell(o),
      o?.rss?.max ? `${fmtMb(o.rss.max)} MiB` : "—",
      "@opennextjs/aws output",
      cell(t),
      t?.rss?.max ? `${fmtMb(t.rss.max)} MiB` : "—",
      o && t && !o.error && !t.error ? `${(o.ms.median / t.ms.median).toFixed(2)}× theirs` : "—",
      "≤ 1× (no worse)",
      o && t && !o.error && !t.error ? ok(o.ms.median <= t.ms.median) : "—",
    );
  }
  // Bundle sizes
  for (const s of r.sizes) {
    const z = r.sizesOut[s];
    if (!z?.ours) continue;
    const o = z.ours["server-functions/default"];
    const t = z.opennext?.["server-functions/default"];
    row(
      "6",
      "server function bundle (server-functions/default), bytes on disk",
      s,
      o ? `${fmtBytes(o.bytes)} (${o.files} files, ${fmtBytes(o.gzip)} gz)` : "—",
      "",
      "@opennextjs/aws output",
      t ? `${fmtBytes(t.bytes)} (${t.files} files, ${fmtBytes(t.gzip)} gz)` : "—",
      "",
      o && t ? `${(o.bytes / t.bytes).toFixed(3)} of theirs` : "—",
      "smaller",
      o && t ? ok(o.bytes < t.bytes) : "—",
    );
  }
  p();

  // ---- Section 1
  p("## 1. Post-build phase (after `next build`)");
  p();
  p(
    '`open-next build --skip-next-build` against `@opennextjs/aws build` with `buildCommand: "true"` (a no-op) and the same node overrides (`wrapper: node, converter: node, incrementalCache: fs-dev, tagCache: fs-dev, queue: direct`), on the same `.next/`, built once as a plain standalone build (`NEXT_PRIVATE_STANDALONE=true next build`, as OpenNext runs it). Wall time of the whole process, from spawn to exit.',
  );
  p();
  for (const s of r.sizes) {
    const pb = r.postbuild[s];
    if (!pb) continue;
    p(`### ${s} (${r.apps[s].routes} routes, ${r.apps[s].prerendered} prerendered pages)`);
    p();
    p("| tool | min s | median s | peak RSS MiB | ratio (median) |");
    p("|---|---|---|---|---|");
    p(`| open-next-rs (whole CLI process) | ${fmtS(pb.ours.time.min)} | ${fmtS(pb.ours.time.median)} | ${fmtMb(pb.ours.rss.max)} | 1 |`);
    p(
      `| open-next-rs native pipeline alone (its own timer) | ${fmtS(pb.ours.native.min / 1000)} | ${fmtS(pb.ours.native.median / 1000)} | — | — |`,
    );
    if (pb.theirs.error) p(`| @opennextjs/aws | failed | | | |`);
    else
      p(
        `| @opennextjs/aws | ${fmtS(pb.theirs.time.min)} | ${fmtS(pb.theirs.time.median)} | ${fmtMb(pb.theirs.rss.max)} | ${fmtX(pb.theirs.time.median / pb.ours.time.median)} slower |`,
      );
    if (pb.oursAdapter)
      p(
        `| open-next-rs on the adapter build of the same app (read via ${pb.oursAdapter.input}; whole process) | ${fmtS(pb.oursAdapter.time.min)} | ${fmtS(pb.oursAdapter.time.median)} | ${fmtMb(pb.oursAdapter.rss.max)} | ${pb.theirs.error ? "—" : `${fmtX(pb.theirs.time.median / pb.oursAdapter.time.median)} faster than @opennextjs/aws`} |`,
      );
    p(
      `| floor: \`cp -r .next/standalone .next/static public\` | ${fmtS(pb.floor.time.min)} | ${fmtS(pb.floor.time.median)} | ${fmtMb(pb.floor.rss.max)} | ${fmtX(pb.floor.time.median / pb.ours.time.median)} |`,
    );
    p();
    if (pb.theirs.error) {
      p("@opennextjs/aws failed on this app:");
      p();
      p("```");
      p(pb.theirs.error);
      p("```");
      p();
    }
    p(
      "Per phase (median ms). Ours from the CLI's phase report; OpenNext's from the arrival time of its log lines (a phase lasts until the next line).",
    );
    p();
    p("| open-next-rs phase | ms | @opennextjs/aws phase | ms |");
    p("|---|---|---|---|");
    const a = pb.ours.phases;
    const b = pb.theirs.phases ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      p(`| ${a[i]?.name ?? ""} | ${a[i] ? fmtMs(a[i].ms) : ""} | ${b[i]?.name ?? ""} | ${b[i] ? fmtMs(b[i].ms) : ""} |`);
    p();
  }
  if (growth) {
    p(`Growth: ${growth.detail}`);
    p();
  }

  // ---- Section 2
  p("## 2. Tracing and bundling");
  p();
  p("### Tracing against @vercel/nft");
  p();
  if (!r.trace) p("Not run (`--only`).");
  else if (r.trace.notBuilt) p(`**${r.trace.notBuilt}.**`);
  else if (r.trace.error) {
    p("`bench/trace.mjs` failed:");
    p();
    p("```");
    p(r.trace.error);
    p("```");
  } else {
    p(`Output of \`node bench/trace.mjs --runs ${r.runs}\`:`);
    p();
    p(/^\s*\|/m.test(r.trace.stdout) ? r.trace.stdout : `\`\`\`\n${r.trace.stdout}\n\`\`\``);
  }
  p();
  p("### Bundling against esbuild");
  p();
  if (r.bundle) {
    p(
      `The server-function entry \`open-next build\` generates (\`${r.bundle.entry}\`: runtime/server/main.ts with the node wrapper and converter, fs-dev caches, direct queue), bundled to one ESM file, npm packages external for both (\`packages: "external"\`, our default). In-process API calls (\`bundleSync\` vs \`esbuild.buildSync\`), ${r.bundle.iterations} timed calls after 5 warm-ups, each tool in its own process (peak RSS includes Node itself).`,
    );
    p();
    p("| variant | tool | min ms | median ms | output | modules | peak RSS MiB | ratio (median time) |");
    p("|---|---|---|---|---|---|---|---|");
    for (const kind of ["plain", "minified", "packages"]) {
      const b = r.bundle[kind];
      if (!b) continue;
      for (const tool of ["ours", "esbuild"]) {
        const x = b[tool];
        if (x.error) p(`| ${kind} | ${tool} | failed: ${oneLine(x.error)} | | | | | |`);
        else
          p(
            `| ${kind}${kind === "minified" ? " (esbuild `minify: true`, ours `minify: true`: mangle + whitespace)" : kind === "packages" ? ` (\`${r.bundle.packagesEntry}\`: npm packages bundled, ours \`packages: "bundle"\`; ${r.bundle.packagesIterations} calls)` : ""} | ${tool === "ours" ? "open-next-rs (swc)" : `esbuild ${m.esbuild}`} | ${fmtMs(x.ms.min)} | ${fmtMs(x.ms.median)} | ${fmtBytes(x.bytes)} | ${x.modules} | ${fmtMb(x.rssMb)} | ${tool === "ours" && !b.esbuild.error ? `${(x.ms.median / b.esbuild.ms.median).toFixed(2)}×` : "1"} |`,
          );
      }
    }
  } else p("Not run (`--only`).");
  p();

  // ---- Section 3
  p("## 3. Image transforms against sharp");
  p();
  if (r.images) {
    const { ours, sharp: sh } = r.images;
    p(
      `Workload: what Next's optimizer does for \`/_next/image?w=<w>&q=<q>\` with the negotiated type: decode, auto-rotate, resize without enlarging, encode (sharp called as Next calls it, with Next's concurrency, ${sh.threads ?? "?"} thread here). ${r.images.perRun} sequential transforms per run. Inputs are generated offline from an SVG. SSIM is on luma against a lossless resize of the same input.`,
    );
    p();
    p("| case | ours min / median img/s | sharp min / median img/s | ours / sharp | bytes ours / sharp | SSIM ours / sharp |");
    p("|---|---|---|---|---|---|");
    for (const c of r.images.cases) {
      const o = ours.cases?.[c.id];
      const t = sh.cases?.[c.id];
      if (!o || !t) {
        p(
          `| ${c.label} | ${o ? minMed(o.perSec, (x) => x.toFixed(1)) : (ours.notBuilt ?? oneLine(ours.error ?? ""))} | ${t ? minMed(t.perSec, (x) => x.toFixed(1)) : oneLine(sh.error ?? "")} | — | — | — |`,
        );
        continue;
      }
      p(
        `| ${c.label} | ${minMed(o.perSec, (x) => x.toFixed(1))} | ${minMed(t.perSec, (x) => x.toFixed(1))} | ${(o.perSec.median / t.perSec.median).toFixed(2)}× | ${fmtBytes(o.bytes)} / ${fmtBytes(t.bytes)} (${(o.bytes / t.bytes).toFixed(3)}×) | ${o.ssim.toFixed(4)} / ${t.ssim.toFixed(4)} |`,
      );
    }
    p();
    if (ours.rssMb && sh.rssMb) p(`Peak RSS of the whole run: ours ${fmtMb(ours.rssMb)} MiB, sharp ${fmtMb(sh.rssMb)} MiB.`);
  } else p("Not run (`--only`).");
  p();

  // ---- Section 4
  p("## 4. Routing and HTTP throughput");
  p();
  p("### Routing decisions per second");
  p();
  p("In process, each tool in its own process, the same request list in a loop (about 1 s per run, after a 1 s warm-up):");
  p();
  p(
    "- **open-next-rs**: the napi `Router` compiled from our Deployment Adapter output of the same app (`Router.specFromAdapterOutput`), `router.resolvePacked(url, packedHeaders)` with the request headers routing reads (`router.requestHeaderNames`: header-condition keys, `cookie`, i18n's `accept-language`) packed per request (NUL-joined) and the decision parsed, as the runtime does.",
  );
  p(
    "- **@opennextjs/aws**: its routing layer (`dist/core/routingHandler.js`, bundled with esbuild as OpenNext bundles it, reading the manifests of OpenNext's own server-function output), fed the InternalEvent its node converter builds (URL parse, query, headers; no body, no middleware, no asset resolver).",
  );
  p("- **`@next/routing`** `resolveRoutes()`: Next's reference implementation (our differential-test oracle) on the same table as ours.");
  p();
  p(
    "The decision kinds show each did comparable work (OpenNext's table comes from the plain build's manifests; ours from the adapter's routing table, where prerendered dynamic paths are plain pathnames).",
  );
  p();
  p(
    "| size | tool | min decisions/s | median decisions/s | median decisions per CPU-second | decisions (kinds) | peak RSS MiB | ours ÷ this (median wall) |",
  );
  p("|---|---|---|---|---|---|---|---|");
  for (const s of r.sizes) {
    const rt = r.routing[s];
    if (!rt) continue;
    if (rt.notBuilt || rt.error) {
      p(`| ${s} | open-next-rs | ${rt.notBuilt ?? `failed: ${oneLine(rt.error)}`} | | | | | |`);
      continue;
    }
    const names = {
      ours: "open-next-rs `Router`",
      opennext: "@opennextjs/aws routingHandler",
      "next-routing": "`@next/routing` resolveRoutes",
    };
    for (const [tool, x] of Object.entries(rt.tools)) {
      if (x.error) p(`| ${s} | ${names[tool]} | failed: ${oneLine(x.error)} | | | | | |`);
      else
        p(
          `| ${s} | ${names[tool]} | ${x.perSec.min.toFixed(0)} | ${x.perSec.median.toFixed(0)} | ${x.perCpuSec.median.toFixed(0)} | ${Object.entries(
            x.kinds,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(
              ", ",
            )} | ${fmtMb(x.rssMb)} | ${tool === "ours" ? "1" : rt.tools.ours?.perSec ? `${(rt.tools.ours.perSec.median / x.perSec.median).toFixed(2)}×` : "—"} |`,
        );
    }
  }
  const anyRouting = r.sizes.map((s) => r.routing[s]).find((x) => x?.paths);
  if (anyRouting) {
    p();
    p(
      `Requests (browser-like headers: host, user-agent, accept, accept-language, accept-encoding): ${anyRouting.paths.map((u) => `\`${u.replace(/_next\/data\/[^/]+/, "_next/data/<buildId>")}\``).join(", ")}.`,
    );
  }
  p();
  if (r.routingFixture) {
    p("Supplementary: `node bench/routing-decisions.mjs` (the router's own micro-benchmark on the `__test__/fixtures/next16` app):");
    p();
    if (r.routingFixture.error) p(`\`\`\`\n${r.routingFixture.error}\n\`\`\``);
    else p(r.routingFixture.stdout);
    p();
  }
  p("### HTTP requests per second through the server function");
  p();
  p(
    `HTTP: \`wrk -t1 -c${connections} -d${duration}s\` against \`node .open-next/server-functions/default/index.mjs\` of each tool on 127.0.0.1 (cwd = the function directory, \`NODE_ENV=production\`), both servers up at once and runs alternating, after a warm-up of every URL. The URL mix only keeps URLs both servers answer with 2xx. Latency percentiles are medians over the runs; peak RSS of each server over all its runs.`,
  );
  p();
  for (const s of r.sizes) {
    const h = r.http[s];
    if (!h) continue;
    p(`### ${s}`);
    p();
    for (const [n, e] of Object.entries(h.servers)) if (e.error) p(`- ${n} server failed to start:\n\n\`\`\`\n${e.error}\n\`\`\`\n`);
    if (Object.keys(h.excluded).length) {
      p(
        `Excluded URLs (not 2xx on some server): ${Object.entries(h.excluded)
          .map(
            ([u, st]) =>
              `\`${u}\` (${Object.entries(st)
                .map(([k, v]) => `${k}: ${v}`)
                .join(", ")})`,
          )
          .join("; ")}.`,
      );
      p();
    }
    p("| scenario | tool | min req/s | median req/s | p50 ms | p99 ms | non-2xx | ratio (median) |");
    p("|---|---|---|---|---|---|---|---|");
    for (const sc of h.scenarios) {
      for (const [tool, x] of Object.entries(sc.tools)) {
        const other = sc.tools.opennext;
        p(
          `| ${sc.name} | ${tool === "ours" ? "open-next-rs" : "@opennextjs/aws"} | ${x.rps.min.toFixed(0)} | ${x.rps.median.toFixed(0)} | ${fmtMs(x.p50)} | ${fmtMs(x.p99)} | ${x.non2xx}${x.errors.length ? ` (${x.errors[0]})` : ""} | ${tool === "ours" && other ? `${(x.rps.median / other.rps.median).toFixed(2)}×` : "1"} |`,
        );
      }
    }
    p();
    p(`URLs: ${r.apps[s].urls.map((u) => `\`${u}\``).join(", ")}.`);
    p();
  }

  // ---- Section 5
  p("## 5. Server function cold start");
  p();
  p(
    "From `spawn(node index.mjs)` to the end of the first successful response to `/` (polled every 2 ms), one untimed round first to warm the page cache, runs alternating between the tools. Peak RSS is the server's VmHWM right after that response.",
  );
  p();
  p("| size | tool | min ms | median ms | first status | peak RSS MiB | ratio (median) |");
  p("|---|---|---|---|---|---|---|");
  for (const s of r.sizes) {
    const c = r.coldstart[s];
    if (!c) continue;
    for (const [tool, x] of Object.entries(c)) {
      const name = tool === "ours" ? "open-next-rs" : "@opennextjs/aws";
      if (x.error) p(`| ${s} | ${name} | failed: ${oneLine(x.error)} | | | | |`);
      else
        p(
          `| ${s} | ${name} | ${fmtMs(x.ms.min)} | ${fmtMs(x.ms.median)} | ${x.status} | ${fmtMb(x.rss.max)} | ${tool === "ours" && c.opennext && !c.opennext.error ? `${(x.ms.median / c.opennext.ms.median).toFixed(2)}×` : "1"} |`,
        );
    }
  }
  p();

  // ---- Section 6
  p("## 6. Function bundle sizes");
  p();
  p(
    "Bytes on disk (apparent size, symlinks not followed), file count, and `tar | gzip -6` size as a proxy for the deployment zip. A function only OpenNext writes is marked *not built yet* for us.",
  );
  p();
  for (const s of r.sizes) {
    const z = r.sizesOut[s];
    if (!z?.ours) continue;
    p(`### ${s}`);
    p();
    p("| function | ours bytes | ours files | ours gz | OpenNext bytes | OpenNext files | OpenNext gz | ours / theirs (bytes) |");
    p("|---|---|---|---|---|---|---|---|");
    const names = [...new Set([...Object.keys(z.ours), ...Object.keys(z.opennext ?? {})])];
    names.sort((a, b) => (a === "(whole .open-next)") - (b === "(whole .open-next)"));
    for (const n of names) {
      const o = z.ours[n];
      const t = z.opennext?.[n];
      p(
        `| ${n} | ${o ? fmtBytes(o.bytes) : "not built yet"} | ${o?.files ?? ""} | ${o ? fmtBytes(o.gzip) : ""} | ${t ? fmtBytes(t.bytes) : "—"} | ${t?.files ?? ""} | ${t ? fmtBytes(t.gzip) : ""} | ${o && t ? (o.bytes / t.bytes).toFixed(3) : "—"} |`,
      );
    }
    p();
  }
  p("(OpenNext's whole `.open-next` includes its `.build/` scratch directory.)");
  p();

  // ---- How to run
  p("## How to run");
  p();
  p("```sh");
  p("apt-get update && apt-get install -y wrk       # once");
  p("npm run build                                 # the addon and dist/ (repository root)");
  p("node bench/run.mjs                            # small + medium, 5 runs: writes bench/RESULTS.md");
  p("node bench/run.mjs --sizes all                # + large (its next build runs once, then is cached)");
  p("node bench/run.mjs --sizes small --runs 5 --only postbuild,coldstart");
  p("node bench/gen.mjs --sizes large              # only generate the apps (bench/.work/apps/<size>/)");
  p("```");
  p();
  p(
    "Apps: `bench/gen.mjs` (deterministic; Next 16.4.6, React 19.3.1, no network at build time). Each `.next/` is built once and reused while the generated sources are unchanged (`bench/.work/apps/<size>/.bench-stamp.json`).",
  );
  p();
  return `${L.join("\n")}\n`;
}

function oneLine(s) {
  return (
    String(s ?? "")
      .split("\n")
      .filter(Boolean)[0]
      ?.slice(0, 160)
      .replace(/\|/g, "\\|") ?? ""
  );
}

/** Per-route marginal cost of the post-build between consecutive sizes. */
function scaling(r) {
  const done = r.sizes.filter((s) => r.postbuild[s]);
  if (done.length < 2) return null;
  const first = done[0];
  const last = done.at(-1);
  const routes = (s) => r.apps[s].routes;
  const t = (s, who) => (who === "ours" ? r.postbuild[s].ours.native.median : r.postbuild[s].theirs.time?.median * 1000);
  const parts = [];
  const marg = { ours: [], theirs: [] };
  for (let i = 1; i < done.length; i++) {
    const a = done[i - 1];
    const b = done[i];
    const dr = routes(b) - routes(a);
    const mo = (t(b, "ours") - t(a, "ours")) / dr;
    const mt = (t(b, "theirs") - t(a, "theirs")) / dr;
    marg.ours.push(mo);
    marg.theirs.push(mt);
    parts.push(
      `${a} → ${b} (+${dr} routes): ours +${fmtMs(mo)} ms/route (native pipeline), @opennextjs/aws +${fmtMs(mt)} ms/route (whole process)`,
    );
  }
  const rt = routes(last) / routes(first);
  const ro = t(last, "ours") / t(first, "ours");
  const rth = t(last, "theirs") / t(first, "theirs");
  // Linear (or better) when the per-route marginal cost does not grow by more than 1.5× from one span to the next.
  let status = "—";
  if (marg.ours.length >= 2) status = marg.ours.at(-1) <= marg.ours[0] * 1.5 + 0.01 ? "✅ met" : "❌ not met";
  else status = "— (needs --sizes all)";
  return {
    span: `${first} → ${last}`,
    ours: `×${ro.toFixed(2)} time for ×${rt.toFixed(0)} routes`,
    theirs: Number.isFinite(rth) ? `×${rth.toFixed(2)} time` : "—",
    ratio: `${fmtMs(marg.ours[0])} ms/route marginal`,
    status,
    detail: `${parts.join("; ")}. Routes ×${rt.toFixed(0)} from ${first} to ${last}: our native pipeline ×${ro.toFixed(2)}, OpenNext ×${Number.isFinite(rth) ? rth.toFixed(2) : "—"}. Linearity is judged on the marginal cost per route between consecutive sizes (needs three sizes).`,
  };
}
