// Tracing benchmark: our Rust tracer (crates/trace, `trace` binary) against
// @vercel/nft on Next.js's server entry (next/dist/server/next-server.js),
// in the same run, alternating the two tools. Prints a markdown table with
// min/median wall time, the tracers' own trace time, peak RSS, and ratios.
//
// usage: node bench/trace.mjs [--runs 5] [--pnpm]
//   --pnpm  trace the pnpm-workspace install of next instead of the npm one
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { ensureOracle, ensureWork, npmDir, pnpmDir, traceBinary, traceDir } from "../__test__/trace/harness.mjs";

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 5;
const pnpm = args.includes("--pnpm");

ensureOracle();
ensureWork();
const bin = traceBinary();

const base = pnpm ? pnpmDir : npmDir;
const entry = pnpm
  ? path.join(pnpmDir, "apps/web/node_modules/next/dist/server/next-server.js")
  : path.join(npmDir, "node_modules/next/dist/server/next-server.js");

// nft follows `module-sync` export conditions on Node.js 22+; trace the same files
const moduleSync = Number(process.versions.node.split(".")[0]) >= 22 ? ["--module-sync"] : [];

/** Runs a command under GNU time: wall seconds, peak RSS (MiB) and its JSON stdout. */
function measure(cmd, argv, cwd) {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...argv], { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed:\n${r.stderr}`);
  const rssKb = Number(r.stderr.trim().split("\n").pop());
  return { wall, rss: rssKb / 1024, out: JSON.parse(r.stdout) };
}

/** Traces `entries` from `base` with both tools, `runs` times alternating, and prints a table titled `title`. */
function benchmark(title, base, entries) {
  const tools = {
    ours: () => measure(bin, ["--quiet", ...moduleSync, "--base", base, ...entries], base),
    "ours, warm cache (2nd trace in process)": () =>
      measure(bin, ["--quiet", ...moduleSync, "--repeat", "2", "--base", base, ...entries], base),
    "@vercel/nft": () => measure(process.execPath, [path.join(traceDir, "nft-dump.mjs"), "--quiet", "--base", base, ...entries], traceDir),
  };

  const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(tools)) {
      const m = run();
      results[name].push(m);
      process.stderr.write(
        `[trace bench] run ${i + 1}/${runs} ${name}: ${m.wall.toFixed(2)} s, trace ${m.out.ms.toFixed(0)} ms, ${m.rss.toFixed(0)} MiB, ${m.out.files} files\n`,
      );
    }
  }

  const min = (xs) => Math.min(...xs);
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, ms]) => [
      name,
      {
        files: ms[0].out.files,
        wallMin: min(ms.map((m) => m.wall)),
        wallMed: median(ms.map((m) => m.wall)),
        traceMed: median(ms.map((m) => m.out.ms)) / 1000,
        rssMed: median(ms.map((m) => m.rss)),
      },
    ]),
  );
  const nft = summary["@vercel/nft"];
  const rows = Object.entries(summary).map(([name, s]) => {
    // the warm row is compared on trace time (its process also did a cold trace)
    const warm = name.includes("warm");
    const speed = warm ? nft.traceMed / s.traceMed : nft.wallMed / s.wallMed;
    const ratio =
      name === "@vercel/nft"
        ? "1×"
        : `${speed.toFixed(1)}× faster${warm ? " (trace time)" : ""}, ${(nft.rssMed / s.rssMed).toFixed(1)}× less memory`;
    return `| ${name} | ${s.files} | ${s.wallMin.toFixed(2)} | ${s.wallMed.toFixed(2)} | ${s.traceMed.toFixed(2)} | ${s.rssMed.toFixed(0)} | ${ratio} |`;
  });
  console.log(`### ${title}, ${runs} runs\n`);
  console.log(
    "| tool | files | wall min (s) | wall median (s) | trace median (s) | peak RSS median (MiB) | vs @vercel/nft (median wall, RSS) |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log(
    "\nwall = whole process (start-up included); trace = the tracer's own time for the trace call (the warm row: the second trace with the first one's cache). Machine: 2 cores.",
  );
}

benchmark(`Tracing \`${path.relative(base, entry)}\` (${pnpm ? "pnpm" : "npm"} layout)`, base, [entry]);

// A large app's routes: every page/route module of the generated large app (when it is built).
const largeApp = path.join(path.dirname(fileURLToPath(import.meta.url)), ".work/apps/large");
const server = path.join(largeApp, ".next/server");
if (existsSync(server)) {
  const routes = [];
  for (const dir of ["app", "pages"]) {
    const root = path.join(server, dir);
    if (!existsSync(root)) continue;
    for (const f of readdirSync(root, { recursive: true }).map(String)) {
      if (dir === "app" ? /(^|\/)(page|route)\.js$/.test(f) : f.endsWith(".js")) routes.push(path.join(root, f));
    }
  }
  console.log("");
  benchmark(`Tracing the ${routes.length} route modules of the large generated app (\`.next/server/{app,pages}\`)`, largeApp, routes);
} else {
  console.log("\n(The large app is not built: run `node bench/run.mjs --sizes all` to trace its routes too.)");
}
