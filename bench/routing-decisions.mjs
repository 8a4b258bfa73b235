// Routing decisions: the Rust router (through napi) against Next's reference
// implementation (@next/routing) and @opennextjs/aws's routing handler (bundled
// from its package with esbuild, pointed at the same build), on the same
// requests, in the same run. Also the cold cost of loading the addon and the
// routing table.
//
//   node bench/routing-decisions.mjs [--runs 5] [--requests 2000] [--addon <file.node>]
//
// `--addon` routes with another build of the Router, e.g. the runtime addon the
// functions ship (`open-next-runtime.linux-x64-gnu.node`; `npm run build:release`
// gives the LTO build users get); by default the build addon of `npm run build`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packRoutingHeaders } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const RUNS = Number(opt("--runs", 5));
const N = Number(opt("--requests", 2000));
const ADDON = path.resolve(opt("--addon", path.join(root, "index.js")));
const app = path.join(root, "__test__/fixtures/next16");

function ensureBuilt() {
  if (!existsSync(path.join(app, "node_modules/next/package.json"))) {
    const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`npm install failed in ${app}`);
  }
  if (!existsSync(path.join(app, ".next/open-next-adapter.json")) || !existsSync(path.join(app, ".next/standalone/.next"))) {
    const r = spawnSync(process.execPath, [path.join(app, "node_modules/next/dist/bin/next"), "build"], {
      cwd: app,
      stdio: "inherit",
      env: {
        ...process.env,
        NEXT_ADAPTER_PATH: path.join(root, "adapter/index.cjs"),
        NEXT_PRIVATE_STANDALONE: "true",
        NEXT_TELEMETRY_DISABLED: "1",
      },
    });
    if (r.status !== 0) throw new Error("next build failed");
  }
}

function requests(buildId) {
  let a = 7;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const paths = [
    "/",
    "/app-ssg",
    "/app-isr",
    "/app-dyn/one",
    "/app-dyn/zzz",
    "/app-catch/a/b/c",
    "/app-opt",
    "/api/echo",
    "/pages-ssg",
    "/posts/1",
    "/posts/99",
    "/fallback-false/a",
    "/old-home",
    "/temp-redirect/x",
    "/has-query?go=yes",
    "/rewrite-before",
    "/rewrite-after/2",
    "/rewrite-api",
    "/fallback-rewrite/a/b",
    "/hello.txt",
    `/_next/data/${buildId}/pages-ssg.json`,
    "/nope/deep/path",
    "/api/hello?x=1",
  ];
  return Array.from({ length: N }, () => {
    const p = paths[Math.floor(r() * paths.length)];
    const headers = r() < 0.3 ? [["rsc", "1"]] : [["accept", "text/html"]];
    return { url: `http://localhost:3000${p}`, path: p, headers };
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeIt(fn) {
  // One untimed pass first, so the JIT has settled before the timed runs.
  await fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { min: Math.min(...times), median: median(times) };
}

async function openNextRouting() {
  const { build } = await import(pathToFileURL(path.join(here, "node_modules/esbuild/lib/main.js")).href);
  const out = path.join(here, ".work/opennext-routing.mjs");
  await build({
    entryPoints: [path.join(here, "node_modules/@opennextjs/aws/dist/core/routingHandler.js")],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    define: { __dirname: JSON.stringify(path.join(app, ".next/standalone")) },
    external: ["next", "next/*", "@aws-sdk/*"],
    logLevel: "error",
    plugins: [
      {
        name: "no-middleware",
        setup(b) {
          b.onResolve({ filter: /^\.\/middleware\.mjs$/ }, () => ({ path: "m", namespace: "stub" }));
          b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export default async () => ({});", loader: "js" }));
        },
      },
    ],
  });
  globalThis.openNextConfig = { default: {} };
  return (await import(pathToFileURL(out).href)).default;
}

export async function runRoutingBench() {
  ensureBuilt();
  const { Router: BuildRouter } = require(path.join(root, "index.js"));
  const { Router } = require(ADDON);
  const { resolveRoutes } = require(path.join(root, "node_modules/@next/routing"));
  const specJson = BuildRouter.specFromAdapterOutput(readFileSync(path.join(app, ".next/open-next-adapter.json"), "utf8"));
  const spec = JSON.parse(specJson);
  const router = new Router(specJson);
  const reqs = requests(spec.buildId);
  const onRouting = await openNextRouting();

  const names = new Set(router.requestHeaderNames);
  const records = reqs.map((q) => Object.fromEntries(q.headers));
  const ours = await timeIt(async () => {
    // What the runtime does on every request: pack the headers routing reads, route, parse the decision.
    for (let i = 0; i < reqs.length; i++) JSON.parse(router.resolvePacked(reqs[i].url, packRoutingHeaders(records[i], names)));
  });
  const reference = await timeIt(async () => {
    for (const q of reqs) {
      await resolveRoutes({
        url: new URL(q.url),
        buildId: spec.buildId,
        basePath: spec.basePath,
        requestBody: new ReadableStream(),
        headers: new Headers(q.headers),
        pathnames: spec.pathnames,
        routes: spec,
        invokeMiddleware: async () => ({}),
      });
    }
  });
  const opennext = await timeIt(async () => {
    for (const q of reqs) {
      const [p, qs] = q.path.split("?");
      await onRouting(
        {
          type: "core",
          method: "GET",
          rawPath: p,
          url: q.url,
          headers: Object.fromEntries([["host", "localhost:3000"], ...q.headers]),
          query: Object.fromEntries(new URLSearchParams(qs ?? "")),
          cookies: {},
          remoteAddress: "127.0.0.1",
        },
        {},
      );
    }
  });
  // Cold: a fresh process loading the addon and compiling the shipped table.
  const cold = spawnSync(
    process.execPath,
    [
      "-e",
      `const t0 = performance.now(); const { Router } = require(${JSON.stringify(ADDON)});
       const t1 = performance.now(); new Router(require("fs").readFileSync(${JSON.stringify(path.join(app, ".open-next/server-functions/default/routing.json"))}, "utf8"));
       const t2 = performance.now(); console.log(JSON.stringify({ addon: t1 - t0, table: t2 - t1 }));`,
    ],
    { encoding: "utf8" },
  );
  const coldMs = cold.status === 0 ? JSON.parse(cold.stdout) : null;
  const perDecisionUs = (t) => (t.median * 1000) / N;
  return { N, RUNS, ours, reference, opennext, coldMs, perDecisionUs };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runRoutingBench();
  const row = (name, t) =>
    `| ${name} | ${(r.perDecisionUs(t)).toFixed(2)} | ${Math.round((N * 1000) / t.median).toLocaleString("en")} | ${t.min.toFixed(1)} | ${t.median.toFixed(1)} |`;
  console.log(`Routing decisions on the next16 fixture (${N} requests x ${RUNS} runs; ours: ${path.relative(root, ADDON)})\n`);
  console.log("| router | µs/decision (median) | decisions/s | min ms | median ms |\n|---|---|---|---|---|");
  console.log(row("open-next-rs (Rust via napi)", r.ours));
  console.log(row("@next/routing resolveRoutes (reference)", r.reference));
  console.log(row("@opennextjs/aws routingHandler", r.opennext));
  console.log(
    `\nratio vs @opennextjs/aws: ${(r.opennext.median / r.ours.median).toFixed(1)}x faster; vs @next/routing: ${(r.reference.median / r.ours.median).toFixed(1)}x`,
  );
  if (r.coldMs) console.log(`cold: addon load ${r.coldMs.addon.toFixed(1)} ms + routing table compile ${r.coldMs.table.toFixed(1)} ms`);
}
