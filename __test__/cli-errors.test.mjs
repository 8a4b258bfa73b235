// Bad input: each case exits with code 1, names the fault and the fix, and
// leaves no `.open-next/` (or staging directory) behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./helpers/util.mjs";

function fakeApp({ version = "16.4.6", config, withNext = true, withBuild = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "on-err-"));
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "x", scripts: { build: "next build" }, dependencies: { next: version } }),
  );
  writeFileSync(path.join(dir, "next.config.mjs"), "export default {};\n");
  if (withNext) {
    mkdirSync(path.join(dir, "node_modules/next"), { recursive: true });
    writeFileSync(path.join(dir, "node_modules/next/package.json"), JSON.stringify({ name: "next", version }));
  }
  if (config !== undefined) writeFileSync(path.join(dir, "open-next.config.ts"), config);
  if (withBuild) {
    const next = path.join(dir, ".next");
    mkdirSync(path.join(next, "standalone/.next/server/app"), { recursive: true });
    mkdirSync(path.join(next, "static"), { recursive: true });
    writeFileSync(path.join(next, "BUILD_ID"), "test-build");
    writeFileSync(path.join(next, "required-server-files.json"), JSON.stringify({ config: {}, relativeAppDir: "" }));
    writeFileSync(path.join(next, "app-path-routes-manifest.json"), JSON.stringify({ "/api/hello/route": "/api/hello", "/page": "/" }));
    mkdirSync(path.join(next, "server"), { recursive: true });
    writeFileSync(path.join(next, "server/pages-manifest.json"), JSON.stringify({ "/api/legacy": "pages/api/legacy.js" }));
  }
  return dir;
}

const NODE = `export default { default: { override: { wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" } }, buildCommand: "true" };\n`;

function assertFails(r, dir, ...patterns) {
  assert.equal(r.code, 1, `exit code 1, got ${r.code}:\n${r.output}`);
  for (const p of patterns) assert.match(r.stderr, p);
  assert.ok(!r.stderr.includes("panicked"), "no panic");
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith(".open-next")),
    [],
    "no .open-next output left behind",
  );
}

test("not inside a Next.js app", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "on-err-"));
  assertFails(
    runCli(["build"], dir),
    dir,
    /ERR_NOT_NEXT_APP/,
    /is not a Next\.js app/,
    /Run `open-next build` from your Next\.js app directory/,
  );
});

test("next is not installed", () => {
  const dir = fakeApp({ withNext: false, config: NODE });
  assertFails(runCli(["build"], dir), dir, /ERR_NEXT_NOT_INSTALLED/, /Install dependencies first/);
});

test("unsupported Next.js version, and the bypass flag", () => {
  const dir = fakeApp({ version: "14.2.3", config: NODE });
  assertFails(runCli(["build"], dir), dir, /Next\.js 14\.2\.3 is not supported/, /--dangerously-use-unsupported-next-version/);
  // With the flag the version check passes and the next problem (no build output) is reported.
  const r = runCli(["build", "--dangerously-use-unsupported-next-version"], dir);
  assertFails(r, dir, /ERR_MISSING_BUILD_OUTPUT/, /required-server-files\.json is missing/);
});

test("next build fails: its output is shown", () => {
  const dir = fakeApp({ config: NODE.replace('buildCommand: "true"', 'buildCommand: "echo the-build-broke-here >&2; exit 3"') });
  assertFails(runCli(["build"], dir), dir, /ERR_NEXT_BUILD_FAILED/, /the-build-broke-here/, /exit status: 3/);
});

test("config syntax error gives file:line:col", () => {
  const dir = fakeApp({ config: "const x = 1;\nexport default { default: { override: { wrapper: } } };\n" });
  const r = runCli(["build"], dir);
  assertFails(r, dir, /ERR_SYNTAX/, /open-next\.config\.ts:2:\d+/);
});

test("config type error (type-only syntax in wrong place) gives file:line:col", () => {
  const dir = fakeApp({ config: "const x: = 1;\nexport default {};\n" });
  assertFails(runCli(["build"], dir), dir, /open-next\.config\.ts:1:\d+/);
});

test("config that throws while evaluating names the file", () => {
  const dir = fakeApp({ config: "throw new Error('config exploded');\nexport default {};\n" });
  assertFails(runCli(["build"], dir), dir, /ERR_CONFIG/, /open-next\.config\.ts failed to evaluate/, /config exploded/);
});

test("unknown override name lists the valid ones", () => {
  const dir = fakeApp({ config: NODE.replace('incrementalCache: "fs-dev"', 'incrementalCache: "s4"') });
  assertFails(
    runCli(["build"], dir),
    dir,
    /unknown incrementalCache override "s4"/,
    /valid values: s3, s3-lite, multi-tier-ddb-s3, fs-dev, dummy/,
  );
});

test("wrapper/converter pair that cannot work together", () => {
  const dir = fakeApp({ config: NODE.replace('converter: "node"', 'converter: "aws-apigw-v2"') });
  assertFails(runCli(["build"], dir), dir, /wrapper "node" cannot work with converter "aws-apigw-v2"/, /use one of: node/);
});

test("a function's install.arch / install.libc that cannot be built, or an architecture without addons", () => {
  let dir = fakeApp({ config: 'export default { imageOptimization: { install: { packages: [], arch: "x86_64" } } };' });
  assertFails(runCli(["build"], dir), dir, /ERR_CONFIG/, /`imageOptimization.install.arch` is "x86_64"; use "x64" or "arm64"/);
  dir = fakeApp({ config: 'export default { middleware: { external: true, install: { arch: "arm64" } } };' });
  assertFails(runCli(["build"], dir), dir, /Lambda@Edge runs on x86_64 only/);
  // This checkout builds no musl addons: a function narrowed to musl names the package it needs.
  dir = fakeApp({ config: 'export default { default: { install: { packages: [], arch: "x64", libc: "musl" } } };' });
  assertFails(
    runCli(["build"], dir),
    dir,
    /ERR_RUNTIME_ADDON/,
    /the default function needs the open-next-rs addons for linux-x64-musl/,
    /npm install open-next-rs-linux-x64-musl/,
  );
});

test("functions routes that match no route", () => {
  const config = NODE.replace(
    "buildCommand",
    `functions: { api: { routes: ["app/api/nope/route"], patterns: ["api/*"], override: { wrapper: "node", converter: "node" } } }, buildCommand`,
  );
  const dir = fakeApp({ config, withBuild: true });
  assertFails(
    runCli(["build"], dir),
    dir,
    /`functions\.api\.routes` contains "app\/api\/nope\/route", which matches no route/,
    /app\/api\/hello\/route/,
  );
});

test("unknown command and option", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "on-err-"));
  assertFails(runCli(["deploy"], dir), dir, /unknown command "deploy"/);
  assertFails(runCli(["build", "--nope"], dir), dir, /unknown option --nope/);
});

test("--help and --version", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "on-err-"));
  const h = runCli(["--help"], dir);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /open-next <command>/);
  const v = runCli(["--version"], dir);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});
