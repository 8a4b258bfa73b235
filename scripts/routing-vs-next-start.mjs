// Diagnostic (not part of the test suite yet): the same generated requests (paths,
// hosts, headers, cookies, locales) sent to `next start` and to our server function
// on the same build of the routing fixtures (i18n with domains; basePath +
// trailingSlash), comparing status, Location and the headers routing sets. Prints
// how many differ and the first ones. It becomes a test once the count is zero.
//   node scripts/routing-vs-next-start.mjs [routing-i18n,routing-basepath] [--count 400] [--seed 7]
import http from "node:http";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generate } from "../__test__/helpers/routing-requests.mjs";
import { freePort, repoRoot, runCli, startServer } from "../__test__/helpers/util.mjs";

const args = process.argv.slice(2);
const countAt = args.indexOf("--count");
const COUNT = countAt >= 0 ? Number(args[countAt + 1]) : 400;
const seedAt = args.indexOf("--seed");
const SEED = seedAt >= 0 ? Number(args[seedAt + 1]) : 7;
const only = args.find((a, i) => !a.startsWith("--") && !["--count", "--seed"].includes(args[i - 1]))?.split(",");
const CONFIG = `export default {
  default: { override: { wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" } },
};
`;
// Headers that routing decides (next.config headers, redirects) or that tell the outcome apart.
const COMPARED = ["x-all", "x-blog-slug", "x-theme", "x-item", "x-matched", "content-type"];

/** One request to 127.0.0.1:port with the generated URL's path, Host and headers. */
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
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const sameOrigin = (location) => location?.replace(/^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(?=\/)/, "");

function summary(r) {
  const o = { status: r.status };
  if (r.headers.location) o.location = sameOrigin(r.headers.location);
  for (const h of COMPARED) if (r.headers[h] !== undefined) o[h] = r.headers[h];
  return o;
}

const BASE_PATHS = { "routing-i18n": "", "routing-basepath": "/base" };
let total = 0;
for (const name of only ?? Object.keys(BASE_PATHS)) {
  const basePath = BASE_PATHS[name] ?? "";
  const dir = path.join(repoRoot, "__test__/fixtures", name);
  writeFileSync(path.join(dir, "open-next.config.ts"), CONFIG);
  rmSync(path.join(dir, ".open-next"), { recursive: true, force: true });
  const built = runCli(["build"], dir);
  rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  if (built.code !== 0) throw new Error(`open-next build failed:\n${built.output}`);
  const buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
  const pathnames = JSON.parse(readFileSync(path.join(dir, ".open-next/server-functions/default/routing.json"), "utf8")).pathnames;
  const [refPort, ourPort] = [await freePort(), await freePort()];
  const ref = await startServer(
    process.execPath,
    [path.join(dir, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(refPort)],
    {
      cwd: dir,
      url: `http://127.0.0.1:${refPort}${basePath}/`,
    },
  );
  const ours = await startServer(process.execPath, [path.join(dir, ".open-next/server-functions/default/index.mjs")], {
    cwd: dir,
    env: { PORT: String(ourPort), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${ourPort}${basePath}/`,
  });
  const diffs = [];
  try {
    for (const req of generate(SEED, buildId, basePath, pathnames, { count: COUNT })) {
      const [a, b] = await Promise.all([send(refPort, req.url, req.headers), send(ourPort, req.url, req.headers)]);
      const [sa, sb] = [summary(a), summary(b)];
      if (JSON.stringify(sa) !== JSON.stringify(sb)) diffs.push({ req, nextStart: sa, ours: sb });
    }
  } finally {
    ref.stop();
    ours.stop();
  }
  total += diffs.length;
  console.log(`${name}: ${diffs.length} of ${COUNT} requests differ`);
  for (const d of diffs.slice(0, 20)) console.log(`  ${JSON.stringify(d)}`);
}
process.exitCode = total ? 1 : 0;
