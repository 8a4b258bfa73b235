// OpenNext's own end-to-end suite (packages/tests-e2e, Playwright) on its example
// apps, run against three servers of the same app in one run:
//   ours       `open-next build` + `open-next preview` (the example's open-next.config.local.ts:
//              express-dev wrapper, fs-dev caches: the self-hosted topology)
//   anchor     `@opennextjs/aws` from npm, the checkout's version, same config, its server
//   reference  `next start`
// and ours again on the AWS topology: the example's own `open-next.config.ts` (aws-lambda
// wrappers, s3-lite/dynamodb-lite/sqs-lite) built and served by `open-next preview`, which
// runs the Lambda handlers behind API Gateway events on a local moto; and writes
// e2e/OPENNEXT-RESULTS.md (with `--next <version>` other than the checkout's,
// e2e/OPENNEXT-RESULTS-next-<version>.md). `--ours-only` and `--aws` rerun one column on the apps of the
// last full run. Nothing of OpenNext is committed: the checkout
// comes from the `fetch` tool (a work tree, or the bare git directory it gives).
// Runs outside CI (the checkout is not there).
//
//   node scripts/opennext-e2e.mjs <opennextjs-aws checkout> [--only appRouter,pagesRouter]
//        [--next <version>] [--anchor <@opennextjs/aws version; default: the checkout's>] [--ours-only] [--aws] [--render]
//
// Work happens under ~/.cache/open-next/opennext-e2e/. Every change made to an example
// (offline fonts, external URLs pointed at a stub server on loopback, pinned versions)
// is listed in the results with its reason. Needs Debian's chromium (installed with apt
// when missing) and the npm registry.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repoRoot, "bin/open-next.mjs");
const work = path.join(os.homedir(), ".cache/open-next/opennext-e2e");
const CHROMIUM = "/usr/bin/chromium";
const PLAYWRIGHT = "1.49.1";

/** The four projects of OpenNext's playwright.config.js and their example apps. */
const PROJECTS = [
  { name: "appRouter", app: "app-router" },
  { name: "pagesRouter", app: "pages-router" },
  { name: "appPagesRouter", app: "app-pages-router" },
  { name: "experimental", app: "experimental" },
];

const args = process.argv.slice(2);
const flag = (f) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
const checkout = args.find((a, i) => !a.startsWith("--") && !["--only", "--next", "--anchor"].includes(args[i - 1]));
if (!checkout) {
  console.error(
    "usage: node scripts/opennext-e2e.mjs <opennextjs-aws checkout> [--only appRouter,...] [--next <version>] [--anchor <version>] [--ours-only] [--aws]",
  );
  process.exit(2);
}
const only = flag("--only")?.split(",");
const projects = PROJECTS.filter((p) => !only || only.includes(p.name));
const log = (...a) => console.log(`[opennext-e2e ${new Date().toISOString().slice(11, 19)}]`, ...a);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    ...opts,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...opts.env },
  });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(
      `${cmd} ${argv.join(" ")} (in ${opts.cwd ?? process.cwd()}) failed with ${r.status}:\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`,
    );
  }
  return r;
}

/** The checkout's files under work/src (a bare git directory is read with `git archive`). */
function extract() {
  const src = path.join(work, "src");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  if (existsSync(path.join(checkout, "examples"))) {
    for (const d of ["examples", "packages/tests-e2e", "packages/open-next/package.json", "pnpm-workspace.yaml"]) {
      cpSync(path.join(checkout, d), path.join(src, d), { recursive: true });
    }
  } else {
    const tar = execFileSync(
      "git",
      [
        "--git-dir",
        checkout,
        "archive",
        "HEAD",
        "examples",
        "packages/tests-e2e",
        "packages/open-next/package.json",
        "pnpm-workspace.yaml",
      ],
      { maxBuffer: 1 << 30 },
    );
    spawnSync("tar", ["-x", "-C", src], { input: tar });
  }
  const commit = existsSync(path.join(checkout, "examples"))
    ? run("git", ["-C", checkout, "rev-parse", "HEAD"], { allowFail: true }).stdout.trim()
    : run("git", ["--git-dir", checkout, "rev-parse", "HEAD"]).stdout.trim();
  return { src, commit };
}

/** pnpm's `catalog:` versions from pnpm-workspace.yaml. */
function catalog(src) {
  const text = readFileSync(path.join(src, "pnpm-workspace.yaml"), "utf8");
  const out = {};
  let inCatalog = false;
  for (const line of text.split("\n")) {
    if (/^catalog:\s*$/.test(line)) inCatalog = true;
    else if (/^\S/.test(line)) inCatalog = false;
    else if (inCatalog) {
      const m = line.match(/^\s+"?([^":]+)"?:\s*(\S+)/);
      if (m) out[m[1]] = m[2];
    }
  }
  return out;
}

/** Walks `dir` for source files. */
function sources(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(tsx?|jsx?|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Copies an example (and `examples/shared`) under work/apps and makes it build and
 * run here: versions pinned, workspace links made file links, Google fonts replaced,
 * external URLs the app fetches pointed at the stub. Returns the changes made.
 */
function prepare(src, project, versions, stub) {
  const changes = [];
  const note = (file, what, why) => changes.push({ file, what, why });
  const apps = path.join(work, "apps");
  const dir = path.join(apps, project.app);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(apps, { recursive: true });
  cpSync(path.join(src, "examples", project.app), dir, { recursive: true });
  // Inside the app: Turbopack resolves nothing outside the project root.
  cpSync(path.join(src, "examples/shared"), path.join(dir, "shared"), { recursive: true });

  for (const pkgDir of [dir, path.join(dir, "shared")]) {
    const file = path.join(pkgDir, "package.json");
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    for (const field of ["dependencies", "devDependencies"]) {
      for (const [name, v] of Object.entries(pkg[field] ?? {})) {
        if (name === "@opennextjs/aws") {
          delete pkg[field][name];
          note(
            path.relative(apps, file),
            `${field}.${name} removed`,
            "the anchor is installed on its own; ours is run from this repository",
          );
        } else if (name === "@example/shared") {
          pkg[field][name] = "file:./shared";
          note(
            path.relative(apps, file),
            `${name}: file:./shared (examples/shared copied into the app)`,
            "a pnpm workspace link; Turbopack resolves nothing outside the app",
          );
        } else if (name === "next" && versions.next !== (v === "catalog:" ? versions.catalogNext : v)) {
          pkg[field][name] = versions.next;
          note(
            path.relative(apps, file),
            `next: ${versions.next} (was ${v === "catalog:" ? versions.catalogNext : v})`,
            "pinned to a version open-next-rs supports",
          );
        } else if (v === "catalog:") {
          pkg[field][name] = versions[name];
        }
      }
    }
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }

  for (const file of sources(dir)) {
    const rel = path.relative(apps, file);
    let text = readFileSync(file, "utf8");
    const before = text;
    // next/font/google downloads the font at build time.
    text = text.replace(/import\s*\{([^}]+)\}\s*from\s*["']next\/font\/google["'];?/g, (_, names) => {
      note(rel, "next/font/google replaced by a stand-in (className '')", "fonts.googleapis.com is not reachable here");
      return names
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => `const ${n} = (_options: unknown) => ({ className: "", variable: "", style: { fontFamily: "sans-serif" } });`)
        .join("\n");
    });
    // The middleware's external rewrite goes through the proxy override, not `fetch`.
    const from = "https://opennext.js.org/share.png";
    if (text.includes(from)) {
      text = text.replaceAll(from, `${stub}/share.png`);
      note(rel, `${from} → the stub on loopback`, "an external rewrite to the internet, which is not reachable here");
    }
    // Tailwind's content globs name examples/shared by its place in the monorepo.
    const sharedGlob = "../../examples/shared/";
    if (text.includes(sharedGlob)) {
      text = text.replaceAll(sharedGlob, "./shared/");
      note(
        rel,
        `Tailwind content glob ${sharedGlob}** → ./shared/**`,
        "examples/shared is copied into the app; Next 16.5's Turbopack refuses a loader path outside the project",
      );
    }
    if (text !== before) writeFileSync(file, text);
  }
  if (project.app === "experimental" && Number(versions.next.split(".")[0]) >= 16) portExperimental(dir, note);
  const [major, minor] = versions.next.split(".").map(Number);
  if (major > 16 || (major === 16 && minor >= 5)) addParallelDefaults(dir, apps, note);
  return { dir, changes };
}

/**
 * Next 16.5 refuses a layout whose parallel slots cannot all render the same URLs
 * (`/parallel/a-page` has a page in `@a` only): every slot, and the children, get
 * the `default.tsx` Next asks for, rendering nothing. Soft navigations (what the
 * tests do) keep each slot's active page, as before.
 */
function addParallelDefaults(dir, apps, note) {
  const walk = (d) => {
    const entries = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory());
    const slots = entries.filter((e) => e.name.startsWith("@")).map((e) => path.join(d, e.name));
    if (slots.length) {
      for (const s of [d, ...slots]) {
        if (readdirSync(s).some((f) => /^default\.(tsx?|jsx?)$/.test(f))) continue;
        const file = path.join(s, "default.tsx");
        writeFileSync(file, "export default function Default() {\n  return null;\n}\n");
        note(
          path.relative(apps, file),
          "added (renders nothing)",
          "Next 16.5 requires a default for parallel slots that do not match every URL of their layout",
        );
      }
    }
    for (const e of entries) walk(path.join(d, e.name));
  };
  const app = ["app", "src/app"].map((p) => path.join(dir, p)).find((p) => existsSync(p));
  if (app) walk(app);
}

/**
 * The experimental example targets Next 15.4 canary; on Next 16 its APIs have
 * new names or shapes. Each edit is the Next 16 spelling of the same behaviour
 * (and its tsconfig leaves out the open-next configs, as the other examples do).
 */
function portExperimental(dir, note) {
  const edits = [
    [
      "tsconfig.json",
      /"exclude": \["node_modules"\]/,
      '"exclude": ["node_modules", "open-next.config.ts", "open-next.config.local.ts"]',
      "open-next.config*.ts excluded from type checking",
      "they import @opennextjs/aws, which is not installed in the app here; the other examples exclude them too",
    ],
    [
      "next.config.ts",
      /\s*eslint:\s*\{\s*ignoreDuringBuilds:\s*true,?\s*\},/,
      "",
      "`eslint` option removed",
      "Next 16 no longer has it (next build does not lint), and its NextConfig type refuses the key",
    ],
    [
      "next.config.ts",
      /experimental:\s*\{\s*ppr:\s*"incremental",\s*nodeMiddleware:\s*true,\s*dynamicIO:\s*true,?\s*\},/,
      "cacheComponents: true,",
      "experimental.{ppr, dynamicIO} → cacheComponents: true",
      "Next 16 replaced both with cacheComponents (every page partially prerendered); Node.js middleware is stable",
    ],
    [
      "src/app/ppr/page.tsx",
      /export const experimental_ppr = true;\n/,
      "",
      "`experimental_ppr` segment config removed",
      "Next 16 refuses it; under cacheComponents the page is partially prerendered without it",
    ],
    [
      "src/components/cached.tsx",
      /unstable_(cacheLife|cacheTag)/g,
      "$1",
      "unstable_cacheLife / unstable_cacheTag → cacheLife / cacheTag",
      "renamed when they became stable (Next 16 has no unstable_ names)",
    ],
    [
      "src/app/api/revalidate/route.ts",
      /import \{ revalidateTag \} from "next\/cache";\n\nexport function GET\(\) \{\n\s*revalidateTag\("fullyTagged"\);/,
      'import { revalidateTag } from "next/cache";\nimport { connection } from "next/server";\n\nexport async function GET() {\n  await connection();\n  revalidateTag("fullyTagged", { expire: 0 });',
      'GET awaits connection(); revalidateTag("fullyTagged", { expire: 0 })',
      "under cacheComponents a GET handler that reads no request data is prerendered at build time; Next 16's revalidateTag takes a profile, and { expire: 0 } expires at once as 15.4's one-argument form did",
    ],
  ];
  for (const [file, from, to, what, why] of edits) {
    const full = path.join(dir, file);
    const text = readFileSync(full, "utf8");
    const next = text.replace(from, to);
    if (next === text)
      throw new Error(`examples/experimental/${file}: the Next 16 port no longer applies (${what}); update portExperimental`);
    writeFileSync(full, next);
    note(`experimental/${file}`, what, why);
  }
}

/**
 * A preload (`NODE_OPTIONS=--require`) for every build and server: `fetch` of the
 * sites the examples read (`https://opennext.js.org`, `https://sst.dev`) goes to the
 * stub, so the examples' code and URLs stay as they are (the image test looks for
 * the remote URL in the request).
 */
function offlinePreload(stub) {
  const file = path.join(work, "offline-fetch.cjs");
  writeFileSync(
    file,
    `// Written by scripts/opennext-e2e.mjs.
const stub = ${JSON.stringify(stub)};
const sites = ["https://opennext.js.org", "https://sst.dev"];
const original = globalThis.fetch;
globalThis.fetch = function (input, init) {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input?.url;
  const site = typeof url === "string" && sites.find((s) => url === s || url.startsWith(s + "/"));
  if (site) {
    const to = stub + "/" + new URL(site).hostname + url.slice(site.length);
    input = typeof input === "string" || input instanceof URL ? to : new Request(to, input);
  }
  return original.call(this, input, init);
};
`,
  );
  return file;
}

/** A 2×2 PNG. */
function png() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/**
 * The stand-in for the external sites the examples fetch: a PNG, or a page with a
 * `date` and a fresh `x-amz-cf-id`. In its own process: the builds block this one.
 */
async function startStub() {
  const code = `
    const http = require("node:http");
    const image = Buffer.from(${JSON.stringify(png().toString("base64"))}, "base64");
    const server = http.createServer((req, res) => {
      if (req.url.endsWith(".png")) {
        res.writeHead(200, { "content-type": "image/png", "cache-control": "max-age=600" });
        return res.end(image);
      }
      res.writeHead(200, { "content-type": "text/html", date: new Date().toUTCString(), "x-amz-cf-id": Math.random().toString(36).slice(2) });
      res.end("<!doctype html><title>stub</title>");
    });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
    process.stdin.on("end", () => process.exit(0));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
    child.once("exit", (c) => reject(new Error(`the stub server exited with ${c}`)));
  });
  return { origin: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server and waits until it answers on `port`. */
async function serve(name, cmd, argv, cwd, port, env = {}) {
  const child = spawn(cmd, argv, {
    cwd,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), HOSTNAME: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output.slice(-3000)}`);
    const ok = await new Promise((r) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/", timeout: 2000 }, (res) => {
        res.resume();
        r(true);
      });
      req.on("error", () => r(false));
      req.on("timeout", () => {
        req.destroy();
        r(false);
      });
    });
    if (ok) return { stop: () => child.kill("SIGTERM"), output: () => output };
    await new Promise((r) => setTimeout(r, 300));
  }
  child.kill("SIGKILL");
  throw new Error(`${name} did not answer on port ${port} within 60 s:\n${output.slice(-3000)}`);
}

/** Installs @playwright/test (no browser download) and the anchor, once. */
function installTools(anchorVersion) {
  const tools = path.join(work, "tools");
  mkdirSync(tools, { recursive: true });
  const pkgFile = path.join(tools, "package.json");
  const want = { "@playwright/test": PLAYWRIGHT, "@opennextjs/aws": anchorVersion };
  const have = existsSync(pkgFile) ? JSON.parse(readFileSync(pkgFile, "utf8")).dependencies : {};
  if (JSON.stringify(have) !== JSON.stringify(want) || !existsSync(path.join(tools, "node_modules"))) {
    writeFileSync(pkgFile, JSON.stringify({ name: "opennext-e2e-tools", private: true, dependencies: want }, null, 2));
    log(`installing @playwright/test ${PLAYWRIGHT} and @opennextjs/aws ${anchorVersion}`);
    // Peers left out: the anchor uses the app's own next.
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--legacy-peer-deps"], {
      cwd: tools,
      env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" },
    });
  }
  if (!existsSync(CHROMIUM)) {
    log("installing Debian's chromium");
    run("apt-get", ["install", "-y", "-q", "chromium"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
  }
  return tools;
}

/** Runs one project's tests against `baseURL`; gives { title: { ok, error } }. */
function playwright(tools, src, project, baseURL, label) {
  const runner = path.join(tools, "runner");
  rmSync(path.join(runner, "tests"), { recursive: true, force: true });
  mkdirSync(runner, { recursive: true });
  cpSync(path.join(src, "packages/tests-e2e/tests"), path.join(runner, "tests"), { recursive: true });
  const report = path.join(work, "reports", `${project.name}-${label}.json`);
  mkdirSync(path.dirname(report), { recursive: true });
  const config = path.join(runner, "playwright.config.mjs");
  writeFileSync(
    config,
    `import { defineConfig } from "@playwright/test";
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  workers: 1,
  retries: 1,
  reporter: [["json", { outputFile: ${JSON.stringify(report)} }]],
  projects: [{ name: ${JSON.stringify(project.name)}, testMatch: ["${project.name}/*.test.ts"],
    use: { baseURL: ${JSON.stringify(baseURL)}, launchOptions: { executablePath: ${JSON.stringify(CHROMIUM)}, args: ["--no-sandbox"] } } }],
});
`,
  );
  log(`${project.name}: playwright against ${label} (${baseURL})`);
  run(path.join(tools, "node_modules/.bin/playwright"), ["test", "--config", config], {
    cwd: runner,
    allowFail: true,
    timeout: 40 * 60_000,
  });
  const out = {};
  // Suites are the file, then its describe blocks; a test is named by all of them.
  const walk = (suite, parts) => {
    const here = suite.title ? [...parts, suite.title] : parts;
    for (const s of suite.suites ?? []) walk(s, here);
    for (const spec of suite.specs ?? []) {
      const t = spec.tests[0];
      const last = t?.results?.at(-1);
      out[[...here, spec.title].join(" › ")] = {
        ok: t?.status === "expected" || t?.status === "flaky",
        flaky: t?.status === "flaky",
        skipped: t?.status === "skipped",
        error: last?.error?.message
          ?.replace(/\u001b\[[0-9;]*m/g, "")
          .split("\n")
          .slice(0, 3)
          .join(" ")
          .slice(0, 300),
      };
    }
  };
  if (existsSync(report)) for (const s of JSON.parse(readFileSync(report, "utf8")).suites ?? []) walk(s, []);
  return out;
}

/**
 * The variables the example's own start script sets (`"openbuild:local:start":
 * "PORT=3001 OPEN_NEXT_REQUEST_ID_HEADER=true node ..."`), for ours and the anchor;
 * the port is ours to pick.
 */
function startEnv(dir) {
  const script = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).scripts?.["openbuild:local:start"] ?? "";
  const env = {};
  for (const m of script.matchAll(/(?:^|\s)([A-Z_][A-Z0-9_]*)=(\S+)/g)) if (m[1] !== "PORT") env[m[1]] = m[2];
  return env;
}

/**
 * What went wrong in a build that still wrote its server function: its error lines
 * (offline, the anchor cannot download sharp's libvips for its image function).
 */
function buildWarning(label, output) {
  const lines = output.split("\n").filter((l) => /\berror\b/i.test(l) && !/^\s+at /.test(l));
  return lines.length ? { label, message: lines.slice(0, 3).join(" / ").slice(0, 400) } : undefined;
}

/** Builds an example three ways and runs its project against each. */
async function runProject(src, project, tools, versions, stub, anchorVersion) {
  const { dir, changes } = prepare(src, project, versions, stub.origin);
  log(`${project.name}: npm install`);
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir });
  const config = "open-next.config.local.ts";
  const results = {};
  const times = {};

  // The anchor first, in its own copy (it runs `next build` itself).
  const anchorDir = `${dir}-anchor`;
  rmSync(anchorDir, { recursive: true, force: true });
  run("cp", ["-al", dir, anchorDir]);
  log(`${project.name}: @opennextjs/aws ${anchorVersion} build`);
  let t = Date.now();
  const anchorBuild = run(
    process.execPath,
    [path.join(tools, "node_modules/@opennextjs/aws/dist/index.js"), "build", "--config-path", config],
    { cwd: anchorDir, allowFail: true },
  );
  times.anchor = Date.now() - t;
  log(`${project.name}: open-next-rs build`);
  t = Date.now();
  const oursBuild = run(process.execPath, [cli, "build", "--config-path", config], { cwd: dir, allowFail: true });
  times.ours = Date.now() - t;
  const logs = path.join(work, "logs");
  mkdirSync(logs, { recursive: true });
  for (const [label, b] of [
    ["anchor", anchorBuild],
    ["ours", oursBuild],
  ]) {
    writeFileSync(path.join(logs, `${project.name}-${label}-build.log`), `${b.stdout ?? ""}\n${b.stderr ?? ""}`);
  }

  const targets = [
    [
      "ours",
      oursBuild,
      (port) => serve("open-next preview", process.execPath, [cli, "preview", "--port", String(port)], dir, port, startEnv(dir)),
    ],
    [
      "anchor",
      anchorBuild,
      (port) =>
        serve(
          "@opennextjs/aws server",
          process.execPath,
          [".open-next/server-functions/default/index.mjs"],
          anchorDir,
          port,
          startEnv(dir),
        ),
    ],
    [
      "next start",
      oursBuild,
      (port) => serve("next start", path.join(dir, "node_modules/.bin/next"), ["start", "-p", String(port), "-H", "127.0.0.1"], dir, port),
    ],
  ];
  // A build that wrote its server function is served even when a later step failed
  // (offline, the anchor cannot download sharp's libvips for its image function); the
  // failure is reported.
  const warnings = [];
  for (const [label, build, cwd] of [
    ["anchor", anchorBuild, anchorDir],
    ["ours", oursBuild, dir],
  ]) {
    const w = buildWarning(label, `${build.stdout ?? ""}\n${build.stderr ?? ""}`);
    if (w && (build.status === 0 || existsSync(path.join(cwd, ".open-next/server-functions/default/index.mjs")))) {
      warnings.push(w);
      build.status = 0;
    }
  }
  for (const [label, build, start] of targets) {
    if (build.status !== 0) {
      results[label] = { __build: { ok: false, error: `build failed: ${(build.stderr || build.stdout).slice(-600)}` } };
      continue;
    }
    const port = await freePort();
    let server;
    try {
      server = await start(port);
      results[label] = playwright(tools, src, project, `http://localhost:${port}`, label.replace(" ", "-"));
    } catch (e) {
      results[label] = { __start: { ok: false, error: String(e.message).slice(0, 600) } };
    } finally {
      server?.stop();
    }
  }
  return { changes, results, times, warnings };
}

/** A one-line diagnosis of our failure, from what the other two did and the committed notes. */
function diagnose(title, r, notes, label = "ours") {
  const note = label === "ours" ? notes[title] : (notes[`${AWS}: ${title}`] ?? notes[title]);
  if (note) return note;
  if (label !== "ours" && !r.ours?.[title]?.ok) return "fails on the self-hosted topology too (see above)";
  if (!r["next start"]?.[title]?.ok && !r.anchor?.[title]?.ok)
    return "fails on next start and on the anchor too (needs the internet, or the test's expectation does not hold here)";
  if (!r["next start"]?.[title]?.ok) return "fails on next start too";
  return "not diagnosed yet";
}

/**
 * Tests left out of every pass rate, each with its reason: those whose committed
 * diagnosis says they need the internet (they run, and fail, on all three here).
 */
const excludedReason = (notes, title) => (notes[title]?.startsWith("needs the internet") ? notes[title] : undefined);

/** The result label of ours on the AWS topology (`--aws`). */
const AWS = "ours (AWS)";

function render(meta, all, notes) {
  const L = [];
  L.push("# OpenNext's e2e suite on its example apps", "");
  L.push(
    `Generated by \`node scripts/opennext-e2e.mjs <checkout>\` on ${meta.date}. Checkout ${meta.commit.slice(0, 12)}; anchor \`@opennextjs/aws\` ${meta.anchorVersion}${meta.anchorIsCheckout === false ? "" : " (the checkout's version)"}; next ${meta.next}; Playwright ${PLAYWRIGHT} on Debian's chromium; 1 retry.`,
  );
  L.push(
    "",
    "Ours: `open-next build` + `open-next preview` with each example's `open-next.config.local.ts` (express-dev wrapper, fs-dev caches). The anchor: the same config, its own server (`.open-next/server-functions/default/index.mjs`). The reference: `next start` on our build's `.next/`. Every build and server runs with a preload that sends `fetch` of `https://opennext.js.org` and `https://sst.dev` to a stub server on loopback (it answers a 2×2 PNG for `*.png`, else a page with a fresh `date` and `x-amz-cf-id`), and ours and the anchor get the variables the example's own start script sets (`OPEN_NEXT_REQUEST_ID_HEADER=true` for app-router).",
    "",
  );
  const columns = ["ours", "anchor", "next start"];
  if (Object.values(all).some((p) => p.results[AWS])) {
    columns.push(AWS);
    L.push(
      `${AWS}: \`open-next build\` with the example's own \`open-next.config.ts\` (the AWS config: aws-lambda wrappers, s3-lite, dynamodb-lite, sqs-lite, the image function with the s3 loader) and \`open-next preview\`, which runs the bundled Lambda handlers behind API Gateway events, with S3, DynamoDB and SQS on a local moto (the cache uploaded, the tag table seeded, the queue drained into the revalidation function).`,
      "",
    );
  }
  const head = (first) => [`| ${first} | ${columns.join(" | ")} |`, `| --- |${" --- |".repeat(columns.length)}`];
  L.push(...head("project"));
  for (const [name, { results }] of Object.entries(all)) {
    const count = (label) => {
      const v = Object.entries(results[label] ?? {}).filter(([k, x]) => !k.startsWith("__") && !x.skipped && !excludedReason(notes, k));
      const bad = Object.keys(results[label] ?? {}).find((k) => k.startsWith("__"));
      return bad ? results[label][bad].error.split("\n")[0].slice(0, 80) : `${v.filter(([, x]) => x.ok).length} / ${v.length}`;
    };
    L.push(`| ${name} | ${columns.map((c) => (results[c] ? count(c) : "—")).join(" | ")} |`);
  }
  L.push("", "Tests that need the internet are excluded from these counts; each project lists them with the reason.");
  for (const [name, { results, changes }] of Object.entries(all)) {
    L.push("", `## ${name}`, "");
    const titles = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))].filter((k) => !k.startsWith("__")).sort();
    L.push(...head("test"));
    const mark = (label, t) => {
      const x = results[label]?.[t];
      if (x !== undefined && excludedReason(notes, t)) return "excluded";
      return x === undefined ? "—" : x.skipped ? "skipped" : x.ok ? (x.flaky ? "pass (retried)" : "pass") : "**fail**";
    };
    for (const t of titles) L.push(`| ${t.replaceAll("|", "\\|")} | ${columns.map((c) => mark(c, t)).join(" | ")} |`);
    const excluded = titles.filter((t) => excludedReason(notes, t));
    if (excluded.length) {
      L.push("", "### Excluded", "");
      for (const t of excluded) L.push(`- **${t}**: ${excludedReason(notes, t)}`);
    }
    for (const label of ["ours", AWS]) {
      const failed = titles.filter(
        (t) => results[label]?.[t] && !results[label][t].ok && !results[label][t].skipped && !excludedReason(notes, t),
      );
      if (!failed.length) continue;
      L.push("", label === "ours" ? "### Our failures" : `### Our failures on the AWS topology`, "");
      for (const t of failed) {
        L.push(`- **${t}**: ${diagnose(t, results, notes, label)}`);
        L.push(`  - error: \`${(results[label][t].error ?? "").replaceAll("`", "'")}\``);
      }
    }
    for (const w of all[name].warnings ?? [])
      L.push(
        "",
        `The ${w.label} build reported errors after writing its server function, which was served: \`${w.message.replaceAll("`", "'")}\``,
      );
    L.push("", "### Changes made to the example", "");
    const seen = new Set();
    for (const c of changes) {
      const k = `${c.file}|${c.what}`;
      if (seen.has(k)) continue;
      seen.add(k);
      L.push(`- \`${c.file}\`: ${c.what} (${c.why})`);
    }
  }
  return `${L.join("\n")}\n`;
}

const { src, commit } = extract();
const cat = catalog(src);
const anchorVersion = flag("--anchor") ?? JSON.parse(readFileSync(path.join(src, "packages/open-next/package.json"), "utf8")).version;
const versions = { ...cat, catalogNext: cat.next, next: flag("--next") ?? cat.next };
const tools = installTools(anchorVersion);
const stub = await startStub();
// Every build and server below: the sites the examples fetch come from the stub.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require ${offlinePreload(stub.origin)}`.trim();

const notesFile = path.join(repoRoot, "e2e/opennext-diagnoses.json");
const notes = existsSync(notesFile) ? JSON.parse(readFileSync(notesFile, "utf8")) : {};
// `--next <version>` other than the checkout's: results of their own, beside the checkout's.
const suffix = flag("--next") && flag("--next") !== cat.next ? `-next-${flag("--next")}` : "";
const resultsFile = path.join(repoRoot, `e2e/opennext-results${suffix}.json`);
const resultsPage = path.join(repoRoot, `e2e/OPENNEXT-RESULTS${suffix}.md`);
const all = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")).projects : {};
/**
 * `--ours-only`: after a change of ours, the prepared app is built again by us only
 * (`--skip-next-build`: the same `.next/` as the last full run) and only our column
 * is run again; the anchor's and `next start`'s come from that run.
 */
async function rerunOurs(project) {
  const dir = path.join(work, "apps", project.app);
  const prev = all[project.name];
  if (!prev || !existsSync(path.join(dir, ".next"))) throw new Error(`--ours-only: no earlier full run of ${project.name} to reuse`);
  log(`${project.name}: open-next-rs build (--skip-next-build)`);
  const b = run(process.execPath, [cli, "build", "--skip-next-build", "--config-path", "open-next.config.local.ts"], {
    cwd: dir,
    allowFail: true,
  });
  if (b.status !== 0)
    return {
      ...prev,
      results: { ...prev.results, ours: { __build: { ok: false, error: `build failed: ${(b.stderr || b.stdout).slice(-600)}` } } },
    };
  const port = await freePort();
  const server = await serve("open-next preview", process.execPath, [cli, "preview", "--port", String(port)], dir, port, startEnv(dir));
  try {
    return { ...prev, results: { ...prev.results, ours: playwright(tools, src, project, `http://localhost:${port}`, "ours") } };
  } finally {
    server.stop();
  }
}

/**
 * `--aws`: ours on the AWS topology, in a copy of the prepared app (hard links; the same
 * `.next/` as the last full run): the example's `open-next.config.ts`, `open-next preview`
 * with its local moto. Adds the "ours (AWS)" column.
 */
async function runOursAws(project) {
  const dir = path.join(work, "apps", project.app);
  const prev = all[project.name];
  if (!prev || !existsSync(path.join(dir, ".next"))) throw new Error(`--aws: no earlier full run of ${project.name} to reuse`);
  const awsDir = `${dir}-aws`;
  rmSync(awsDir, { recursive: true, force: true });
  run("cp", ["-al", dir, awsDir]);
  rmSync(path.join(awsDir, ".open-next"), { recursive: true, force: true });
  log(`${project.name}: open-next-rs build, AWS config (open-next.config.ts)`);
  const b = run(process.execPath, [cli, "build", "--skip-next-build", "--config-path", "open-next.config.ts"], {
    cwd: awsDir,
    allowFail: true,
  });
  writeFileSync(path.join(work, "logs", `${project.name}-ours-aws-build.log`), `${b.stdout ?? ""}\n${b.stderr ?? ""}`);
  let results;
  if (b.status !== 0) {
    results = { __build: { ok: false, error: `build failed: ${(b.stderr || b.stdout).slice(-600)}` } };
  } else {
    const port = await freePort();
    let server;
    try {
      server = await serve(
        "open-next preview (AWS)",
        process.execPath,
        [cli, "preview", "--port", String(port)],
        awsDir,
        port,
        startEnv(dir),
      );
      results = playwright(tools, src, project, `http://localhost:${port}`, "ours-aws");
    } catch (e) {
      results = { __start: { ok: false, error: String(e.message).slice(0, 600) } };
    } finally {
      server?.stop();
    }
  }
  return { ...prev, results: { ...prev.results, [AWS]: results } };
}

if (args.includes("--render")) {
  // Writes the results page again from the results file, the diagnoses and the build logs.
  const saved = JSON.parse(readFileSync(resultsFile, "utf8"));
  for (const [name, p] of Object.entries(saved.projects)) {
    const logFile = path.join(work, "logs", `${name}-anchor-build.log`);
    const w = existsSync(logFile) ? buildWarning("anchor", readFileSync(logFile, "utf8")) : undefined;
    p.warnings = w ? [w] : (p.warnings ?? []);
  }
  writeFileSync(resultsFile, `${JSON.stringify(saved, null, 2)}\n`);
  writeFileSync(resultsPage, render(saved.meta, saved.projects, notes));
  stub.close();
  process.exit(0);
}

try {
  for (const project of projects) {
    all[project.name] = args.includes("--aws")
      ? await runOursAws(project)
      : args.includes("--ours-only")
        ? await rerunOurs(project)
        : await runProject(src, project, tools, versions, stub, anchorVersion);
    // A full run takes the AWS topology too, on the same build of the app.
    if (!args.includes("--aws") && !args.includes("--ours-only")) all[project.name] = await runOursAws(project);
    const meta = {
      date: new Date().toISOString().slice(0, 10),
      commit,
      anchorVersion,
      anchorIsCheckout: !flag("--anchor"),
      next: versions.next,
    };
    mkdirSync(path.dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify({ meta, projects: all }, null, 2)}\n`);
    writeFileSync(resultsPage, render(meta, all, notes));
    log(`${project.name}: done`);
  }
} finally {
  stub.close();
}
