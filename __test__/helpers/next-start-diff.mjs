// Sends the same generated requests (paths, hosts, headers, cookies, locales) to
// `next start` and to our server function on the same build of a fixture app and
// lists the requests whose status, Location or routing-decided headers differ.
// Used by `__test__/routing-e2e.test.mjs` and `scripts/routing-vs-next-start.mjs`.
import http from "node:http";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generate } from "./routing-requests.mjs";
import { freePort, repoRoot, runCli, startCloudFront, startServer } from "./util.mjs";

const config = (external) => `export default {
  default: { override: { wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" } },${
    external ? '\n  middleware: { external: true, override: { proxyExternalRequest: "fetch" } },' : ""
  }
};
`;
/** Headers that routing decides (next.config headers, redirects) or that tell the outcome apart. */
const COMPARED = [
  "x-all",
  "x-blog-slug",
  "x-theme",
  "x-item",
  "x-custom-header",
  "x-page-header",
  "x-mw",
  "x-mw-seen",
  "x-nextjs-redirect",
  "x-nextjs-rewrite",
  "content-type",
];

/** One GET to 127.0.0.1:port with the generated URL's path, Host and headers; the body as text. */
function send(port, url, headers) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "GET",
        path: `${u.pathname}${u.search}`,
        headers: { ...Object.fromEntries(headers), host: u.host },
        timeout: 30_000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** A Location on the server itself as a path (next start may put its own origin in it). */
const sameOrigin = (location) => location?.replace(/^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(?=\/)/, "");

function summary(r) {
  const o = { status: r.status };
  if (r.headers.location) o.location = sameOrigin(r.headers.location);
  for (const h of COMPARED) if (r.headers[h] !== undefined) o[h] = r.headers[h];
  return o;
}

/**
 * Builds `fixture` with `open-next build` (node wrapper), starts `next start` and
 * our function side by side, sends `count` generated requests per seed and
 * resolves with the differing ones. Both servers are stopped before it returns.
 * With `externalMiddleware`, the build has `middleware: { external: true }` and
 * the requests go through a CloudFront stand-in running the middleware function
 * (`helpers/cloudfront.mjs`), which forwards to our server function.
 */
export async function diffWithNextStart(
  fixture,
  { basePath = "", seeds = [7], count = 400, externalMiddleware = false, extraWords = [], extra = [], inspect } = {},
) {
  const dir = path.join(repoRoot, "__test__/fixtures", fixture);
  writeFileSync(path.join(dir, "open-next.config.ts"), config(externalMiddleware));
  rmSync(path.join(dir, ".open-next"), { recursive: true, force: true });
  const built = runCli(["build"], dir);
  rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  if (built.code !== 0) throw new Error(`open-next build failed:\n${built.output}`);
  const buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
  const fnDir = path.join(dir, ".open-next/server-functions/default");
  const { pathnames } = JSON.parse(readFileSync(path.join(fnDir, "routing.json"), "utf8"));
  // `next start` writes into `.next` as it renders (ISR, fallback shells): it runs on a
  // copy, so the fixture's build stays what `next build` wrote (other tests read it).
  const refDir = mkdtempSync(path.join(os.tmpdir(), `next-start-${fixture}-`));
  cpSync(dir, refDir, {
    recursive: true,
    filter: (src) => !["node_modules", ".open-next"].includes(path.relative(dir, src)),
  });
  symlinkSync(path.join(dir, "node_modules"), path.join(refDir, "node_modules"));
  const [refPort, ourPort] = [await freePort(), await freePort()];
  let ref;
  let ours;
  let edge;
  const diffs = [];
  let sent = 0;
  let inspected;
  try {
    ref = await startServer(
      process.execPath,
      [path.join(dir, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(refPort)],
      { cwd: refDir, url: `http://127.0.0.1:${refPort}${basePath}/` },
    );
    ours = await startServer(process.execPath, [path.join(fnDir, "index.mjs")], {
      cwd: dir,
      env: { PORT: String(ourPort), HOST: "127.0.0.1" },
      url: `http://127.0.0.1:${ourPort}${basePath}/`,
    });
    let port = ourPort;
    if (externalMiddleware) {
      edge = await startCloudFront(dir, ourPort, { basePath });
      port = edge.port;
    }
    const requests = seeds.flatMap((seed) => [...generate(seed, buildId, basePath, pathnames, { count, extraWords })]);
    // `extra`: hand-written requests ({ url, headers: [[name, value]] }) sent after the generated ones.
    for (const req of [...requests, ...extra]) {
      {
        const [a, b] = await Promise.all([send(refPort, req.url, req.headers), send(port, req.url, req.headers)]);
        sent++;
        const [sa, sb] = [summary(a), summary(b)];
        if (JSON.stringify(sa) !== JSON.stringify(sb)) diffs.push({ req, nextStart: sa, ours: sb });
      }
    }
    // `inspect`: more checks while both servers run, each side one GET ({ status, headers, body }).
    if (inspect) {
      inspected = await inspect({
        ours: (url, headers = []) => send(port, url, headers),
        nextStart: (url, headers = []) => send(refPort, url, headers),
      });
    }
  } finally {
    ref?.stop();
    ours?.stop();
    edge?.stop();
    rmSync(refDir, { recursive: true, force: true });
  }
  return { sent, diffs, inspected };
}
