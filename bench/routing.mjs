// 4a. Routing decisions per second, in process, on the same request list:
//   - ours: the napi `Router` compiled from our Deployment Adapter output
//     (`Router.specFromAdapterOutput`), `JSON.parse(router.resolvePacked(url, packedHeaders))` as the runtime calls it
//     (the headers in `router.requestHeaderNames` packed per request);
//   - @opennextjs/aws: its routing layer (`core/routingHandler.js`, bundled with esbuild
//     the way OpenNext bundles it, reading the manifests of OpenNext's own server
//     function output), fed the InternalEvent its node converter builds (URL parse,
//     query, headers), without middleware or an asset resolver;
//   - Next's reference implementation `@next/routing` `resolveRoutes()` on our spec.
// Each tool runs in its own process (peak RSS includes Node itself).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { here, log, measure, packRoutingHeaders, root, stats, work } from "./lib.mjs";

const HEADERS = [
  ["host", "localhost:3000"],
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"],
  ["accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
  ["accept-language", "en-US,en;q=0.9"],
  ["accept-encoding", "gzip, deflate, br"],
];

function firstFile(dir) {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile()) return e.name;
  }
  return null;
}

/** The request list for an app: pages of every kind, redirects, rewrites, data and static URLs, RSC and 404s. */
export function routingRequests(app, buildId) {
  const chunk = firstFile(path.join(app.dir, ".next/static/chunks"));
  const paths = [
    "/",
    ...app.urls,
    "/a/ssr-0?q=hello&page=2",
    "/old/static-3",
    "/legacy/a/b",
    "/go?to=1",
    "/alias/1/item-2",
    "/before/2",
    "/fb/some/where",
    `/_next/data/${buildId}/p/ssg-0.json`,
    `/_next/data/${buildId}/p/dyn-0/1.json`,
    ...(chunk ? [`/_next/static/chunks/${chunk}`] : []),
    "/robots.txt",
    "/does/not/exist",
    "/a/static-99999",
  ];
  const reqs = paths.map((p) => ({ path: p, headers: HEADERS }));
  reqs.push({ path: "/a/static-0", headers: [...HEADERS, ["rsc", "1"]] });
  reqs.push({ path: "/h", headers: [...HEADERS, ["x-variant", "b"]] });
  return reqs;
}

/** The kind of a decision in the shape of `@next/routing`'s result (our Router returns the same shape). */
const resolvedKind = (r) =>
  r.redirect || (r.status >= 300 && r.status < 400) ? "redirect" : r.routeMatches ? "dynamic" : r.resolvedPathname ? "route" : "no route";

async function worker(tool, cfgFile) {
  const cfg = JSON.parse(readFileSync(cfgFile, "utf8"));
  const reqs = cfg.requests;
  let decide;
  let kind;
  if (tool === "ours") {
    const { Router } = createRequire(import.meta.url)(path.join(root, "index.js"));
    const router = new Router(cfg.specJson);
    const names = new Set(router.requestHeaderNames);
    const full = reqs.map((r) => ({ url: `http://localhost:3000${r.path}`, headers: Object.fromEntries(r.headers) }));
    // As the runtime (runtime/routing/router.ts) calls it, per request: the headers
    // routing reads packed into one NUL-joined string, the decision parsed.
    decide = (i) => JSON.parse(router.resolvePacked(full[i].url, packRoutingHeaders(full[i].headers, names)));
    kind = resolvedKind;
  } else if (tool === "next-routing") {
    const { resolveRoutes } = createRequire(path.join(root, "package.json"))("@next/routing");
    const spec = JSON.parse(cfg.specJson);
    const routes = { ...spec, caseSensitive: spec.caseSensitive };
    decide = (i) =>
      resolveRoutes({
        url: new URL(`http://localhost:3000${reqs[i].path}`),
        buildId: spec.buildId,
        basePath: spec.basePath,
        requestBody: new ReadableStream(),
        headers: new Headers(reqs[i].headers),
        pathnames: spec.pathnames,
        i18n: spec.i18n ?? undefined,
        routes,
        invokeMiddleware: async () => ({}),
      });
    kind = resolvedKind;
  } else {
    globalThis.openNextConfig = { default: {} };
    globalThis.openNextDebug = false;
    const { default: routingHandler } = await import(cfg.openNextBundle);
    const reqHeaders = reqs.map((r) => Object.fromEntries(r.headers));
    decide = (i) => {
      // What OpenNext's node converter does per request (minus reading the body).
      const url = new URL(`http://${reqHeaders[i].host}${reqs[i].path}`);
      const query = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? [].concat(query[k], v) : v;
      return routingHandler(
        {
          type: "core",
          method: "GET",
          rawPath: url.pathname,
          url: url.href,
          body: Buffer.alloc(0),
          headers: { ...reqHeaders[i] },
          remoteAddress: "127.0.0.1",
          query,
          cookies: {},
        },
        { assetResolver: undefined },
      );
    };
    kind = (r) =>
      "statusCode" in r
        ? r.statusCode >= 300 && r.statusCode < 400
          ? "redirect"
          : `status ${r.statusCode}`
        : r.internalEvent.rawPath === "/404"
          ? "no route"
          : r.resolvedRoutes?.some((x) => /\[/.test(x.route))
            ? "dynamic"
            : "route";
  }
  const kinds = {};
  for (let i = 0; i < reqs.length; i++) {
    const k = kind(await decide(i));
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  // Warm-up (1 s: lets the JIT settle), then runs of ~1 s each.
  const n = reqs.length;
  let t0 = performance.now();
  for (let j = 0; performance.now() - t0 < 1000; j++) await decide(j % n);
  const perSec = [];
  const perCpuSec = [];
  for (let run = 0; run < cfg.runs; run++) {
    let count = 0;
    const c0 = process.cpuUsage();
    t0 = performance.now();
    while (performance.now() - t0 < 1000) {
      for (let i = 0; i < n; i++) await decide(i);
      count += n;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    perSec.push(count / (wall / 1000));
    perCpuSec.push(count / ((cpu.user + cpu.system) / 1e6));
  }
  process.stdout.write(JSON.stringify({ perSec, perCpuSec, kinds }));
}

/** Bundles OpenNext's routing layer to read the manifests in `fnDir` (its server function). */
async function bundleOpenNextRouting(fnDir) {
  const dir = path.join(work, "routing");
  mkdirSync(dir, { recursive: true });
  const esbuild = createRequire(path.join(here, "package.json"))("esbuild");
  const outfile = path.join(dir, `opennext-routing-${path.basename(path.resolve(fnDir, "../../../.."))}.mjs`);
  await esbuild.build({
    entryPoints: [path.join(here, "node_modules/@opennextjs/aws/dist/core/routingHandler.js")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    external: ["next", "./middleware.mjs"],
    logLevel: "silent",
    banner: {
      js: [
        `globalThis.monorepoPackagePath = "";`,
        "import { createRequire as topLevelCreateRequire } from 'module';",
        "const require = topLevelCreateRequire(import.meta.url);",
        `const __dirname = ${JSON.stringify(`${fnDir}/`)};`,
      ].join(""),
    },
  });
  return outfile;
}

/**
 * app: the plain build (OpenNext's output lives in it), adapterApp: the same app built
 * with our adapter, openNextOut: OpenNext's `.open-next` for `app`.
 */
export async function runRouting(app, adapterApp, openNextOut, { runs = 5 } = {}) {
  const res = { requests: 0, tools: {} };
  const adapterJson = readFileSync(path.join(adapterApp.dir, ".next/open-next-adapter.json"), "utf8");
  const dir = path.join(work, "routing");
  mkdirSync(dir, { recursive: true });
  const { Router } = createRequire(import.meta.url)(path.join(root, "index.js"));
  const specJson = Router.specFromAdapterOutput(adapterJson);
  const ourBuildId = JSON.parse(specJson).buildId;
  const tools = [
    ["ours", { specJson, requests: routingRequests(adapterApp, ourBuildId) }],
    ["next-routing", { specJson, requests: routingRequests(adapterApp, ourBuildId) }],
  ];
  if (openNextOut) {
    const fnDir = path.join(openNextOut, "server-functions/default");
    const theirBuildId = readFileSync(path.join(fnDir, ".next/BUILD_ID"), "utf8").trim();
    try {
      tools.push(["opennext", { openNextBundle: await bundleOpenNextRouting(fnDir), requests: routingRequests(app, theirBuildId) }]);
    } catch (e) {
      res.tools.opennext = { error: `bundling OpenNext's routingHandler failed: ${e.message.split("\n")[0]}` };
    }
  }
  res.requests = tools[0][1].requests.length;
  res.paths = tools[0][1].requests.map((r) => r.path + (r.headers.length > HEADERS.length ? ` (${r.headers.at(-1).join(": ")})` : ""));
  for (const [tool, cfg] of tools) {
    log(`${app.size}: routing decisions, ${tool}`);
    const cfgFile = path.join(dir, `${app.size}-${tool}.json`);
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, runs }));
    try {
      const r = await measure(process.execPath, [path.join(here, "routing.mjs"), "--worker", tool, cfgFile], { cwd: here });
      const j = JSON.parse(r.stdout);
      res.tools[tool] = { perSec: stats(j.perSec), perCpuSec: stats(j.perCpuSec), kinds: j.kinds, rssMb: r.rssMb };
    } catch (e) {
      res.tools[tool] = { error: e.message.split("\n").slice(0, 8).join("\n") };
    }
  }
  return res;
}

const argv = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}` && argv[0] === "--worker") await worker(argv[1], argv[2]);
