// Shared by the differential tracing test (__test__/trace.test.mjs) and the
// benchmark (bench/trace.mjs): builds our `trace` binary, installs the
// reference tracer (@vercel/nft) and real npm packages into `.work/` (not
// committed), and runs both tracers on the same entries.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const traceDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(traceDir, "../..");
export const workDir = path.join(traceDir, ".work");
export const npmDir = path.join(workDir, "npm");
export const pnpmDir = path.join(workDir, "pnpm");

/** The real packages traced, pinned so results are reproducible. */
export const NPM_DEPS = {
  next: "16.4.6",
  react: "19.3.1",
  "react-dom": "19.3.1",
  "@aws-sdk/client-s3": "3.1169.0",
  // native addons: node-gyp-build prebuilds, nft's special cases, sharp's per-platform packages
  bufferutil: "4.1.0",
  argon2: "0.45.1",
  sharp: "0.35.5",
  // wasm: wasm-bindgen's fs.readFileSync(path.join(__dirname, ...)), and new URL(..., import.meta.url)
  tiktoken: "1.0.22",
  "@vercel/og": "1.0.3",
};

const NPM_FILES = {
  "entry-s3.js":
    "const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');\nmodule.exports = { S3Client, GetObjectCommand };\n",
  "entry-react-dom-server.js": "module.exports = require('react-dom/server');\n",
  "entry-sharp.js": "module.exports = require('sharp');\n",
  "entry-native.js": "module.exports = [require('bufferutil'), require('argon2')];\n",
  "entry-wasm.mjs":
    "import { get_encoding } from 'tiktoken';\nimport { ImageResponse } from '@vercel/og';\nexport { get_encoding, ImageResponse };\n",
};

/** A pnpm workspace: an app linked to a workspace package, with Next.js installed the pnpm way. */
const PNPM_FILES = {
  "package.json": JSON.stringify({ name: "trace-pnpm-root", private: true }),
  "pnpm-workspace.yaml": "packages:\n  - apps/*\n  - packages/*\n",
  "apps/web/package.json": JSON.stringify({
    name: "web",
    private: true,
    dependencies: {
      "@repo/ui": "workspace:*",
      next: NPM_DEPS.next,
      react: NPM_DEPS.react,
      "react-dom": NPM_DEPS["react-dom"],
      semver: "7.7.3",
    },
  }),
  "apps/web/server.js":
    "const { render } = require('@repo/ui');\nconst semver = require('semver');\nconst { renderToString } = require('react-dom/server');\nmodule.exports = () => renderToString(render(semver.valid('1.0.0')));\n",
  "packages/ui/package.json": JSON.stringify({
    name: "@repo/ui",
    version: "0.0.0",
    exports: { ".": { import: "./src/index.mjs", require: "./src/index.js" } },
    dependencies: { react: NPM_DEPS.react, uuid: "9.0.1" },
  }),
  "packages/ui/src/index.js":
    "const React = require('react');\nconst { v4 } = require('uuid');\nexports.render = (v) => React.createElement('p', { id: v4() }, v);\n",
  "packages/ui/src/index.mjs": "export { render } from './index.js';\n",
};

function writeFiles(dir, files) {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

function sh(cmd, args, cwd) {
  execFileSync(cmd, args, {
    cwd,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" },
  });
}

/** Installs @vercel/nft (this directory's package.json) if it is missing. */
export function ensureOracle() {
  if (!existsSync(path.join(traceDir, "node_modules/@vercel/nft/package.json"))) {
    sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], traceDir);
  }
}

/** Installs the real packages into .work/ (once per version set). */
export function ensureWork() {
  const stamp = JSON.stringify({ NPM_DEPS, NPM_FILES, PNPM_FILES });
  const stampFile = path.join(workDir, "stamp.json");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return;
  mkdirSync(npmDir, { recursive: true });
  writeFiles(npmDir, {
    "package.json": JSON.stringify({ name: "trace-work", private: true, dependencies: NPM_DEPS }, null, 2),
    ...NPM_FILES,
  });
  // --ignore-scripts: nothing here needs an install script (prebuilds ship in the packages)
  sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"], npmDir);
  mkdirSync(pnpmDir, { recursive: true });
  writeFiles(pnpmDir, PNPM_FILES);
  const pnpm = path.join(repoRoot, "node_modules/.bin/pnpm");
  sh(existsSync(pnpm) ? pnpm : "pnpm", ["install", "--reporter=silent", "--ignore-scripts", "--config.confirmModulesPurge=false"], pnpmDir);
  writeFileSync(stampFile, stamp);
}

/** Builds our tracer binary and returns its path. */
export function traceBinary() {
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(repoRoot, "target");
  sh("cargo", ["build", "--quiet", "--profile", "ci", "-p", "open_next_trace", "--bin", "trace"], repoRoot);
  return path.join(targetDir, "ci", "trace");
}

function parseJson(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** nft follows `module-sync` export conditions when it runs on Node.js 22 or newer; so do we then. */
const moduleSync = Number(process.versions.node.split(".")[0]) >= 22 ? ["--module-sync"] : [];

/** Runs our tracer: `{fileList, reasons, esmFileList, warnings, ms}`. */
export function runOurs(bin, base, entries, extra = []) {
  const r = spawnSync(bin, ["--base", base, ...moduleSync, ...extra, ...entries], { encoding: "utf8", maxBuffer: 1 << 28 });
  return parseJson(r, "trace");
}

/** Runs @vercel/nft in a child process, same shape as `runOurs`. */
export function runNft(base, entries, extra = []) {
  const r = spawnSync(process.execPath, [path.join(traceDir, "nft-dump.mjs"), "--base", base, ...extra, ...entries], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    cwd: traceDir,
  });
  return parseJson(r, "@vercel/nft");
}

/**
 * Warnings reduced to what both tracers say the same way: the specifiers that
 * failed to resolve, and the files that failed to parse (with the goal).
 * (The parser messages themselves differ: acorn's and swc's.)
 */
export function warningKeys(warnings) {
  const keys = new Set();
  for (const { message } of warnings) {
    const resolve = /^Failed to resolve dependency "([^"]*)"/.exec(message);
    const parse = /^Failed to parse (.*) as (script|module):/.exec(message);
    if (resolve) keys.add(`resolve ${resolve[1]}`);
    else if (parse) keys.add(`parse ${parse[2]} ${parse[1]}`);
    else keys.add(`other ${message.split("\n")[0]}`);
  }
  return [...keys].sort();
}
