// 2b. Bundling: our swc bundler (`bundleSync` of the napi addon) against esbuild on
// the server-function runtime entry the build generates (runtime/server/main.ts plus
// the node wrapper/converter, fs-dev caches and direct queue; npm packages external
// for both, as our bundler keeps bare specifiers external).
//
// Each tool runs in its own process (under GNU time, for peak RSS): warm-up calls,
// then timed calls of the in-process API. Reported: per-call time and output size,
// plain and minified (esbuild `minify: true`; ours: swc mangle + whitespace; tree shaking and `define` already removed dead code).
// A third variant bundles npm packages too (ours `packages: "bundle"`, esbuild's
// default): the AWS SDK clients OpenNext's overrides use (S3, DynamoDB, SQS) and
// express, from bench/node_modules.
//
//   node bench/bundle.mjs [--runs 5]
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { here, measure, root, stats, work } from "./lib.mjs";

const runtimeDir = path.join(root, "runtime");

/** Writes the same entry module `open-next build` generates for the default function. */
export function writeEntry() {
  const dir = path.join(work, "bundle");
  mkdirSync(dir, { recursive: true });
  const imp = (kind, sub, name) => `import ${kind} from ${JSON.stringify(path.join(runtimeDir, "overrides", sub, `${name}.ts`))};\n`;
  const src =
    imp("wrapper", "wrappers", "node") +
    imp("converter", "converters", "node") +
    imp("incrementalCache", "incrementalCache", "fs-dev") +
    imp("tagCache", "tagCache", "fs-dev") +
    imp("queue", "queue", "direct") +
    imp("proxyExternalRequest", "proxyExternalRequest", "node") +
    imp("cdnInvalidation", "cdnInvalidation", "dummy") +
    `import { createServerFunction } from ${JSON.stringify(path.join(runtimeDir, "server/main.ts"))};\n` +
    `export const handler = createServerFunction({ functionName: "default", overrides: { wrapper, converter, incrementalCache, tagCache, queue, proxyExternalRequest, cdnInvalidation } });\n`;
  const entry = path.join(dir, "__entry_default.ts");
  writeFileSync(entry, src);
  return entry;
}

/** Writes an entry that imports real npm packages (resolved from bench/node_modules). */
export function writePackagesEntry() {
  const dir = path.join(work, "bundle");
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, "packages-entry.mjs");
  writeFileSync(
    entry,
    [
      'import { S3Client, GetObjectCommand } from "@aws-sdk/client-s3";',
      'import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";',
      'import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";',
      'import express from "express";',
      "export function clients(region) {",
      "  const opts = { region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };",
      "  return [new S3Client(opts), new DynamoDBClient(opts), new SQSClient(opts), express, GetObjectCommand, QueryCommand, SendMessageCommand];",
      "}",
      "",
    ].join("\n"),
  );
  return entry;
}

/** In a worker process: time `iterations` calls of one tool and print JSON. */
async function worker(tool, entry, iterations, minify, packages) {
  let call;
  if (tool === "ours") {
    const native = createRequire(import.meta.url)(path.join(root, "index.js"));
    call = () => {
      const r = native.bundleSync({ entry, minify, packages: packages ? "bundle" : "external" });
      return { bytes: Buffer.byteLength(r.code), modules: r.modules.length };
    };
  } else {
    const esbuild = createRequire(path.join(here, "package.json"))("esbuild");
    call = () => {
      const r = esbuild.buildSync({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        format: "esm",
        ...(packages
          ? // The `require` esbuild's ESM output needs for the builtins CommonJS code loads.
            { banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } }
          : { packages: "external", external: ["./open-next.config.mjs"] }),
        write: false,
        logLevel: "silent",
        minify,
        metafile: true,
      });
      return { bytes: r.outputFiles[0].contents.length, modules: Object.keys(r.metafile.inputs).length };
    };
  }
  for (let i = 0; i < (packages ? 2 : 5); i++) call();
  const ms = [];
  let last;
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    last = call();
    ms.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify({ ms, ...last }));
}

/** Runs both tools; returns `{ plain: {ours, esbuild}, minified: {ours, esbuild} }`. */
export async function runBundle({ runs = 5 } = {}) {
  const entry = writeEntry();
  const packagesEntry = writePackagesEntry();
  const iterations = Math.max(20, runs * 4);
  const out = {
    entry: path.relative(root, entry),
    packagesEntry: path.relative(root, packagesEntry),
    iterations,
    packagesIterations: Math.max(6, runs * 2),
  };
  const variants = [
    ["plain", entry, false, false, iterations],
    ["minified", entry, true, false, iterations],
    ["packages", packagesEntry, false, true, out.packagesIterations],
  ];
  for (const [kind, file, minify, packages, n] of variants) {
    const row = {};
    for (const tool of ["ours", "esbuild"]) {
      try {
        const r = await measure(
          process.execPath,
          [path.join(here, "bundle.mjs"), "--worker", tool, file, String(n), String(minify), String(packages)],
          { cwd: here },
        );
        const j = JSON.parse(r.stdout);
        row[tool] = { ms: stats(j.ms), bytes: j.bytes, modules: j.modules, rssMb: r.rssMb };
      } catch (e) {
        row[tool] = { error: e.message.split("\n").slice(0, 6).join("\n") };
      }
    }
    out[kind] = row;
  }
  return out;
}

const argv = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  if (argv[0] === "--worker") await worker(argv[1], argv[2], Number(argv[3]), argv[4] === "true", argv[5] === "true");
  else console.log(JSON.stringify(await runBundle({ runs: Number(argv[argv.indexOf("--runs") + 1] || 5) }), null, 2));
}
