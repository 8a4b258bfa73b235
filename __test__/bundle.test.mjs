// The native bundler: the bundle of a small TypeScript module graph runs in Node
// and behaves like the sources; errors carry file:line:col.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./helpers/util.mjs";

const binding = createRequire(import.meta.url)(path.join(repoRoot, "index.js"));

function project(files) {
  const dir = mkdtempSync(path.join(tmpdir(), "on-bundle-"));
  for (const [name, code] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), code);
  }
  return dir;
}

test("bundles TS, JSON, CommonJS, cycles and re-exports into one runnable ESM file", async () => {
  const dir = project({
    "src/entry.ts": `
      import { join } from "node:path";
      import data from "./data.json";
      import greet, { type Greeting, PREFIX } from "./greet";
      import { isEven } from "./cycle/a";
      const legacy = require("./legacy.cjs");
      export * from "./reexported.js";
      export const result: string = [greet("bundle"), data.answer, PREFIX, isEven(10), legacy.twice(21), join("a", "b")].join("|");
      export default class Thing { constructor(public n: number) {} get doubled(): number { return this.n * 2; } }
      export async function later() { const m = await import("node:os"); return typeof m.platform; }
    `,
    "src/greet.ts": `export interface Greeting { text: string }\nexport const PREFIX = "hi";\nexport default function greet(n: string): string { return PREFIX + " " + n; }`,
    "src/data.json": `{"answer": 42}`,
    "src/cycle/a.ts": `import { isOdd } from "./b";\nexport function isEven(n: number): boolean { return n === 0 ? true : isOdd(n - 1); }`,
    "src/cycle/b.ts": `import { isEven } from "./a";\nexport function isOdd(n: number): boolean { return n === 0 ? false : isEven(n - 1); }`,
    "src/legacy.cjs": `module.exports = { twice: (x) => x * 2 };`,
    "src/reexported.ts": `export const extra = "extra"; export enum Color { Red = 1 }`,
  });
  const out = binding.bundleSync({ entry: path.join(dir, "src/entry.ts") });
  assert.equal(out.modules.length, 7);
  assert.deepEqual(out.externals, ["node:os", "node:path"]);
  const file = path.join(dir, "out.mjs");
  writeFileSync(file, out.code);
  const mod = await import(pathToFileURL(file).href);
  assert.equal(mod.result, "hi bundle|42|hi|true|42|a/b");
  assert.equal(new mod.default(4).doubled, 8);
  assert.equal(mod.extra, "extra");
  assert.equal(mod.Color.Red, 1);
  assert.equal(await mod.later(), "function");
});

test("a CommonJS entry's module.exports is the bundle's default export (OpenNext's example configs are written so)", async () => {
  const dir = project({
    "open-next.config.ts": `const helper = require("./helper");\nconst config = { default: { override: { wrapper: helper.wrapper } } };\nmodule.exports = config;\n`,
    "helper.js": `exports.wrapper = "aws-lambda-streaming";`,
  });
  const out = binding.bundleSync({ entry: path.join(dir, "open-next.config.ts") });
  const file = path.join(dir, "out.mjs");
  writeFileSync(file, out.code);
  const mod = await import(pathToFileURL(file).href);
  assert.deepEqual(mod.default, { default: { override: { wrapper: "aws-lambda-streaming" } } });
});

test("async bundle() resolves the same code", async () => {
  const dir = project({ "a.ts": "export const x: number = 1;" });
  const [a, b] = [await binding.bundle({ entry: path.join(dir, "a.ts") }), binding.bundleSync({ entry: path.join(dir, "a.ts") })];
  assert.equal(a.code, b.code);
});

test("syntax errors name file:line:col", () => {
  const dir = project({ "a.ts": "export const ok = 1;\nexport const bad = ;\n" });
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "a.ts") }),
    (e) => {
      assert.match(e.message, /^ERR_SYNTAX: /);
      assert.match(e.message, new RegExp(`${path.join(dir, "a.ts").replaceAll("/", "\\/")}:2:\\d+: syntax error`));
      return true;
    },
  );
});

test("unresolvable relative imports name the importer at line:col and the specifier", () => {
  const dir = project({ "a.ts": "import { y } from './missing';\nexport const x = y;" });
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "a.ts") }),
    /ERR_RESOLVE: .*a\.ts:1:19: cannot resolve import "\.\/missing"/,
  );
});

test("relative dynamic imports are bundled and load lazily; others stay real imports", async () => {
  const dir = project({
    "config.ts": `
      export const log: string[] = [];
      (globalThis as any).__bundleLog = log;
      export default {
        cache: () => import("./overrides/cache.ts").then((m) => m.default),
        legacy: () => import("./overrides/legacy.cjs"),
        os: () => import("node:os"),
      };
    `,
    "overrides/cache.ts": `(globalThis as any).__bundleLog.push("cache loaded");\nexport default { name: "my-cache" };\nexport const other = 1;`,
    "overrides/legacy.cjs": `module.exports = { name: "legacy" };`,
  });
  const out = binding.bundleSync({ entry: path.join(dir, "config.ts") });
  assert.equal(out.modules.length, 3);
  assert.deepEqual(out.externals, ["node:os"]);
  // The bundle must not need the sources next to it at run time.
  const outDir = mkdtempSync(path.join(tmpdir(), "on-bundle-out-"));
  const file = path.join(outDir, "open-next.config.mjs");
  writeFileSync(file, out.code);
  const mod = await import(pathToFileURL(file).href);
  assert.deepEqual(mod.log, [], "a lazy override is not loaded before it is called");
  assert.deepEqual(await mod.default.cache(), { name: "my-cache" });
  assert.deepEqual(mod.log, ["cache loaded"]);
  const legacy = await mod.default.legacy();
  assert.equal(legacy.default.name, "legacy");
  assert.equal(typeof (await mod.default.os()).platform, "function");
});

test("an unresolvable relative dynamic import is a build error", () => {
  const dir = project({ "a.ts": "export const f = () => import('./nope.ts');" });
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "a.ts") }),
    /ERR_RESOLVE: .*a\.ts:1:31: cannot resolve import "\.\/nope\.ts"/,
  );
});

test("minify (swc mangle, whitespace): the same behaviour, a much smaller file", async () => {
  const files = {
    "src/entry.ts": `
      import greet, { PREFIX } from "./greet";
      import { isEven } from "./cycle/a";
      const legacy = require("./legacy.cjs");
      export const result: string = [greet("bundle"), PREFIX, isEven(10), legacy.twice(21)].join("|");
      export default class Thing { constructor(public n: number) {} get doubled(): number { return this.n * 2; } }
      export function unusedButExported(longParameterName: number) { const anotherLongLocalName = longParameterName * 3; return anotherLongLocalName; }
    `,
    "src/greet.ts": `/** docs */\nexport const PREFIX = "hi";\nexport default function greet(name: string): string {\n  // a comment\n  return PREFIX + " " + name;\n}`,
    "src/cycle/a.ts": `import { isOdd } from "./b";\nexport function isEven(n: number): boolean { return n === 0 ? true : isOdd(n - 1); }`,
    "src/cycle/b.ts": `import { isEven } from "./a";\nexport function isOdd(n: number): boolean { return n === 0 ? false : isEven(n - 1); }`,
    "src/legacy.cjs": `module.exports = { twice: (x) => x * 2 };`,
  };
  const dir = project(files);
  const plain = binding.bundleSync({ entry: path.join(dir, "src/entry.ts") });
  const min = binding.bundleSync({ entry: path.join(dir, "src/entry.ts"), minify: true, banner: "// banner kept" });
  assert.ok(min.code.length < plain.code.length * 0.7, `minified ${min.code.length} vs ${plain.code.length} bytes`);
  assert.ok(min.code.startsWith("// banner kept\n"));
  assert.ok(!min.code.includes("anotherLongLocalName"), "locals are mangled");
  const file = path.join(dir, "min.mjs");
  writeFileSync(file, min.code);
  const mod = await import(pathToFileURL(file).href);
  assert.equal(mod.result, "hi bundle|hi|true|42");
  assert.equal(new mod.default(4).doubled, 8);
  assert.equal(mod.unusedButExported(2), 6);
});

test("define replaces globals before imports are followed: dead branches and their modules drop out", async () => {
  const dir = project({
    "entry.ts": `
      let impl: { name: string };
      if (process.env.ON_TARGET === "aws") impl = require("./aws.ts").default;
      else impl = require("./node.ts").default;
      export const name = impl.name;
      export const debug = __ON_DEBUG__ ? "on" : "off";
      export const untouched = typeof process.env.OTHER;
      export function shadowed(process: { env: { ON_TARGET: string } }) { return process.env.ON_TARGET; }
    `,
    "aws.ts": `import "@aws-sdk/client-s3";\nexport default { name: "aws" };`,
    "node.ts": `export default { name: "node" };`,
  });
  const out = binding.bundleSync({
    entry: path.join(dir, "entry.ts"),
    define: { "process.env.ON_TARGET": '"node"', __ON_DEBUG__: "false" },
  });
  assert.deepEqual(
    out.modules.map((m) => path.basename(m)),
    ["entry.ts", "node.ts"],
  );
  assert.deepEqual(out.externals, [], "the dead branch's npm import is not an external");
  const file = path.join(dir, "out.mjs");
  writeFileSync(file, out.code);
  const mod = await import(pathToFileURL(file).href);
  assert.equal(mod.name, "node");
  assert.equal(mod.debug, "off");
  assert.equal(mod.untouched, "undefined");
  assert.equal(mod.shadowed({ env: { ON_TARGET: "local" } }), "local", "a local binding is not replaced");
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "entry.ts"), define: { "process.env.X": "production" } }),
    /ERR_CONFIG: .*define value for process\.env\.X is not JSON/,
  );
  assert.throws(() => binding.bundleSync({ entry: path.join(dir, "entry.ts"), define: { "a-b": "1" } }), /ERR_CONFIG: .*define key "a-b"/);
});

test("source maps lead stack traces back to the original TypeScript, minified or not", async () => {
  const dir = project({
    "src/entry.ts": `import { boom } from "./thrower";\nexport function run(): void {\n  boom("x");\n}\nrun();\n`,
    "src/thrower.ts": `export interface Opts {\n  a: number;\n}\nexport function boom(what: string): never {\n  throw new Error("boom " + what);\n}\n`,
  });
  for (const minify of [false, true]) {
    const out = binding.bundleSync({ entry: path.join(dir, "src/entry.ts"), sourcemap: true, minify, banner: "// line one\n// line two" });
    assert.ok(out.map, "a map is returned");
    const map = JSON.parse(out.map);
    assert.ok(
      map.sources.some((s) => s.endsWith("thrower.ts")),
      map.sources.join(", "),
    );
    assert.ok(map.sourcesContent.some((c) => c?.includes("throw new Error")));
    const file = path.join(dir, `out-${minify}.mjs`);
    writeFileSync(file, `${out.code}\n//# sourceMappingURL=out-${minify}.mjs.map\n`);
    writeFileSync(`${file}.map`, out.map);
    const r = spawnSync(process.execPath, ["--enable-source-maps", file], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /thrower\.ts:5:\d+/, `minify ${minify}:\n${r.stderr}`);
    // Unminified, the frame of `run` is at line 3; the minifier may inline `run`
    // into its only call (line 5) now that all modules share one scope.
    assert.match(r.stderr, minify ? /entry\.ts:[35]:\d+/ : /entry\.ts:3:\d+/, `minify ${minify}:\n${r.stderr}`);
  }
  assert.equal(binding.bundleSync({ entry: path.join(dir, "src/entry.ts") }).map, undefined, "no map unless asked");
});

test("scope-hoisted ES modules run exactly as Node runs the sources: order, live bindings, namespaces, re-exports, CommonJS interop", async () => {
  const dir = project({
    "entry.mjs": `
      import { log, events } from "./log.mjs";
      import * as ns from "./ns.mjs";
      import def, { counter, bump } from "./live.mjs";
      import { a as renamed, b } from "./reexport.mjs";
      import legacy, { name as legacyName } from "./legacy.cjs";
      import { join } from "node:path";
      import "./side.mjs";
      import * as star from "./star.mjs";
      import { isEven } from "./cycle-a.mjs";
      import { nsEarly } from "./ns-cycle-b.mjs";
      log("entry");
      bump();
      bump();
      export const out = {
        counter, def: def(), renamed, b, nsKeys: Object.keys(ns), nsTag: ns[Symbol.toStringTag], nsValue: ns.value, nsF: ns.f(),
        legacy: legacy.name, legacyName, join: join("x", "y"), starKeys: Object.keys(star).sort(), starDeep: star.deep.b,
        globalURL: typeof URL, even: isEven(4), nsEarly, events: [...events],
      };
      console.log(JSON.stringify(out));
      export { log as logFn };
      export * from "./deep.mjs";
    `,
    "log.mjs": `export const events = [];\nexport function log(e) { events.push(e); }\nexport function shakenAwayMarker() { return "never used"; }\nlog("log");`,
    "ns.mjs": `import { log } from "./log.mjs";\nconst URL = "shadows the global only here";\nexport const value = 1;\nexport function f() { return URL; }\nlog("ns");`,
    "live.mjs": `import { log } from "./log.mjs";\nlog("live");\nexport let counter = 0;\nexport function bump() { counter++; }\nexport default function () { return "default fn " + counter; }`,
    "reexport.mjs": `import { log } from "./log.mjs";\nexport { value as a } from "./ns.mjs";\nexport * from "./deep.mjs";\nlog("reexport");`,
    "deep.mjs": `import { log } from "./log.mjs";\nexport const b = "b";\nexport const c = "c";\nlog("deep");`,
    "star.mjs": `export * from "./deep.mjs";\nexport * as deep from "./deep.mjs";\nexport const s = 1;`,
    "side.mjs": `import { log } from "./log.mjs";\nlog("side");`,
    // ns-cycle-a runs before ns-cycle-b yet lists b's namespace: it exists before b runs.
    "ns-cycle-a.mjs": `import * as b from "./ns-cycle-b.mjs";\nexport const keys = ["f" in b, "nope" in b, typeof b.f];`,
    "ns-cycle-b.mjs": `import { keys } from "./ns-cycle-a.mjs";\nexport function f() {}\nexport const nsEarly = keys;`,
    "legacy.cjs": `exports.name = "legacy";`,
    "cycle-a.mjs": `import { log } from "./log.mjs";\nimport { isOdd } from "./cycle-b.mjs";\nlog("cycle-a");\nexport function isEven(n) { return n === 0 ? true : isOdd(n - 1); }`,
    "cycle-b.mjs": `import { log } from "./log.mjs";\nimport { isEven } from "./cycle-a.mjs";\nlog("cycle-b");\nexport function isOdd(n) { return n === 0 ? false : isEven(n - 1); }`,
  });
  const native = spawnSync(process.execPath, [path.join(dir, "entry.mjs")], { encoding: "utf8" });
  assert.equal(native.status, 0, native.stderr);
  const out = binding.bundleSync({ entry: path.join(dir, "entry.mjs") });
  assert.equal((out.code.match(/: function \(module, exports/g) ?? []).length, 1, "only the CommonJS file is wrapped");
  assert.ok(!out.code.includes("shakenAwayMarker"), "an export nothing uses is shaken away");
  const outDir = mkdtempSync(path.join(tmpdir(), "on-bundle-out-"));
  for (const minify of [false, true]) {
    const file = path.join(outDir, `bundle-${minify}.mjs`);
    writeFileSync(file, binding.bundleSync({ entry: path.join(dir, "entry.mjs"), minify }).code);
    const bundled = spawnSync(process.execPath, [file], { encoding: "utf8" });
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.equal(bundled.stdout, native.stdout, `minify ${minify}`);
    const mod = await import(pathToFileURL(file).href);
    assert.deepEqual(Object.keys(mod).sort(), ["b", "c", "logFn", "out"]);
  }
  assert.deepEqual(JSON.parse(native.stdout).events, ["log", "ns", "live", "deep", "reexport", "side", "cycle-b", "cycle-a", "entry"]);
});

test("an import of a name the module does not export is a build error at file:line:col", () => {
  const dir = project({
    "a.ts": "import { b } from './b';\nimport { nope } from './b';\nexport const x = b + nope;",
    "b.ts": "export const b = 1;",
  });
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "a.ts") }),
    (e) => {
      assert.match(e.message, /^ERR_MISSING_EXPORT: /);
      assert.match(e.message, /a\.ts:2:1: imports "nope" from .*b\.ts, which does not export it/);
      return true;
    },
  );
});

test("JSX in .tsx/.jsx compiles to React.createElement (classic, the default) or react/jsx-runtime (automatic)", async () => {
  const dir = project({
    "classic.tsx": `import React from "./react";\nimport { Item } from "./item.jsx";\nconst n: number = 2;\nexport const tree = <ul className="list"><Item label={"x" + n} /><>frag</></ul>;`,
    "item.jsx": `import React from "./react";\nexport function Item({ label }) { return <li>{label}</li>; }`,
    "react.ts": `export default {\n  Fragment: "Fragment",\n  createElement: (type: any, props: any, ...children: any[]) => ({ type: typeof type === "function" ? type.name : type, props, children }),\n};`,
    "automatic.tsx": `export const el = <p id="a">hi</p>;`,
    "jsx-runtime.ts": `export const jsx = (type: string, props: object) => ({ auto: true, type, props });\nexport const jsxs = jsx;\nexport const Fragment = "F";`,
  });
  const classic = binding.bundleSync({ entry: path.join(dir, "classic.tsx") });
  assert.ok(!/<ul|<li/.test(classic.code), classic.code);
  writeFileSync(path.join(dir, "classic.mjs"), classic.code);
  const { tree } = await import(pathToFileURL(path.join(dir, "classic.mjs")).href);
  assert.deepEqual(tree, {
    type: "ul",
    props: { className: "list" },
    children: [
      { type: "Item", props: { label: "x2" }, children: [] },
      { type: "Fragment", props: null, children: ["frag"] },
    ],
  });
  const automatic = binding.bundleSync({
    entry: path.join(dir, "automatic.tsx"),
    jsx: "automatic",
    alias: { "react/jsx-runtime": path.join(dir, "jsx-runtime.ts") },
  });
  writeFileSync(path.join(dir, "automatic.mjs"), automatic.code);
  const { el } = await import(pathToFileURL(path.join(dir, "automatic.mjs")).href);
  assert.deepEqual(el, { auto: true, type: "p", props: { id: "a", children: "hi" } });
  assert.throws(
    () => binding.bundleSync({ entry: path.join(dir, "automatic.tsx"), jsx: "preact" }),
    /ERR_CONFIG: .*jsx.*unknown JSX mode "preact"/,
  );
});

test('packages: "bundle" resolves npm packages as Node does (exports conditions, main, symlinks) and bundles them', async () => {
  const dir = project({
    "app/entry.mjs": `
      import { dual } from "dual";
      import { helper } from "dual/helper";
      import cjs from "cjs-pkg";
      import { linked } from "linked-pkg";
      import { viaLocal, later } from "./local-require.mjs";
      import { createRequire } from "node:module";
      const required = createRequire(import.meta.url);
      const dualRequired = (await import("./load-cjs.cjs")).default;
      console.log(JSON.stringify({ dual, helper, cjs: cjs.describe(), linked, dualRequired, viaLocal, later: typeof later, os: typeof (await import("node:os")).platform }));
    `,
    "app/load-cjs.cjs": `module.exports = require("dual").dual;`,
    // A local \`require\` is not the CommonJS global: it stays a run-time call.
    "app/local-require.mjs": `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\nexport const viaLocal = typeof require.resolve;\nexport const later = () => require("./later.json");`,
    "app/later.json": `{}`,
    "app/node_modules/dual/package.json": JSON.stringify({
      name: "dual",
      exports: { ".": { import: "./esm/index.mjs", require: "./cjs/index.cjs" }, "./helper": "./esm/helper.mjs" },
      main: "./cjs/index.cjs",
    }),
    "app/node_modules/dual/esm/index.mjs": `export const dual = "esm build";\nexport const unusedInDual = "shaken";`,
    "app/node_modules/dual/esm/helper.mjs": `export const helper = "helper";`,
    "app/node_modules/dual/cjs/index.cjs": `exports.dual = "cjs build";`,
    "app/node_modules/cjs-pkg/package.json": JSON.stringify({ name: "cjs-pkg", main: "lib/main.js" }),
    "app/node_modules/cjs-pkg/lib/main.js": `const data = require("./data.json");\nconst { sep } = require("path");\nexports.describe = () => data.name + sep + require("./util").twice(21);`,
    "app/node_modules/cjs-pkg/lib/data.json": `{"name": "cjs-pkg"}`,
    "app/node_modules/cjs-pkg/lib/util.js": `module.exports = { twice: (x) => x * 2 };`,
    "store/linked-pkg@1.0.0/node_modules/linked-pkg/package.json": JSON.stringify({
      name: "linked-pkg",
      type: "module",
      exports: "./index.js",
    }),
    "store/linked-pkg@1.0.0/node_modules/linked-pkg/index.js": `export const linked = "through a symlink";`,
  });
  symlinkSync(path.join(dir, "store/linked-pkg@1.0.0/node_modules/linked-pkg"), path.join(dir, "app/node_modules/linked-pkg"), "dir");
  const entry = path.join(dir, "app/entry.mjs");
  const native = spawnSync(process.execPath, [entry], { encoding: "utf8" });
  assert.equal(native.status, 0, native.stderr);
  const out = binding.bundleSync({ entry, packages: "bundle" });
  assert.deepEqual(out.externals, ["node:module", "node:os", "path"]);
  const bundled = out.modules.map((m) => path.relative(dir, m)).sort();
  assert.ok(bundled.includes("app/node_modules/dual/esm/index.mjs"), bundled.join("\n"));
  assert.ok(bundled.includes("app/node_modules/dual/cjs/index.cjs"), "require() takes the require condition");
  assert.ok(bundled.includes("store/linked-pkg@1.0.0/node_modules/linked-pkg/index.js"), "symlinks resolve to real paths");
  assert.ok(!out.code.includes("unusedInDual"), "unused exports of packages are shaken away");
  assert.ok(!bundled.includes("app/later.json") && out.code.includes('require("./later.json")'), "a local require() is left alone");
  // The bundle runs where no node_modules exist.
  const outDir = mkdtempSync(path.join(tmpdir(), "on-bundle-pkgs-"));
  writeFileSync(path.join(outDir, "out.mjs"), out.code);
  const run = spawnSync(process.execPath, [path.join(outDir, "out.mjs")], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, native.stdout);
  // `external` keeps a package (and its subpaths) external; a missing package names itself.
  const ext = binding.bundleSync({ entry, packages: "bundle", external: ["dual"] });
  assert.ok(ext.externals.includes("dual") && ext.externals.includes("dual/helper"), ext.externals.join(", "));
  const missing = path.join(dir, "app/missing.mjs");
  writeFileSync(missing, `import "not-installed";`);
  assert.throws(
    () => binding.bundleSync({ entry: missing, packages: "bundle" }),
    /ERR_RESOLVE: .*missing\.mjs:1:8: cannot resolve import "not-installed"/,
  );
  assert.throws(() => binding.bundleSync({ entry, packages: "all" }), /ERR_CONFIG: .*packages/);
});

test('packages: "bundle" on real npm packages runs as Node runs the sources, and as esbuild\'s bundle does', async () => {
  // Real packages from this repository's node_modules: CommonJS with JSON and
  // builtins (semver, iconv-lite, debug with its optional `supports-color`), an
  // ncc-built CommonJS file with `__esModule` (@next/routing), dual ESM/CJS with
  // `exports` (es-toolkit, js-yaml).
  const dir = mkdtempSync(path.join(tmpdir(), "on-bundle-real-"));
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  const entry = path.join(dir, "entry.mjs");
  writeFileSync(
    entry,
    `import semver from "semver";
    import * as yaml from "js-yaml";
    import iconv from "iconv-lite";
    import { chunk, camelCase } from "es-toolkit";
    import createDebug from "debug";
    import routing from "@next/routing";
    console.log(JSON.stringify({
      semver: [semver.satisfies("1.2.3", "^1.0.0"), semver.inc("1.2.3", "minor"), semver.valid("x")],
      yaml: yaml.load("a: 1\\nb: [x, y]\\n"),
      iconv: iconv.decode(Buffer.from([0xe9]), "latin1"),
      chunk: chunk([1, 2, 3, 4, 5], 2),
      camel: camelCase("hello world-case"),
      debug: typeof createDebug("t"),
      routing: typeof routing.resolveRoutes,
    }));`,
  );
  const native = spawnSync(process.execPath, [entry], { encoding: "utf8" });
  assert.equal(native.status, 0, native.stderr);
  const out = binding.bundleSync({ entry, packages: "bundle" });
  assert.ok(out.modules.length > 100, `${out.modules.length} modules`);
  assert.ok(out.externals.includes("supports-color"), "an optional require() that does not resolve stays a run-time require");
  const { build } = await import("esbuild");
  const esb = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
    // esbuild's ESM output needs the usual banner: a `require` for the builtins its
    // CommonJS code loads, and `__dirname` (ours provides both itself).
    banner: {
      js: [
        'import { createRequire as __cr } from "node:module";',
        'import { fileURLToPath as __fu } from "node:url";',
        'import { dirname as __dn } from "node:path";',
        "const require = __cr(import.meta.url);",
        "const __filename = __fu(import.meta.url);",
        "const __dirname = __dn(__filename);",
      ].join("\n"),
    },
  });
  const outDir = mkdtempSync(path.join(tmpdir(), "on-bundle-real-out-"));
  writeFileSync(path.join(outDir, "ours.mjs"), out.code);
  writeFileSync(path.join(outDir, "esbuild.mjs"), esb.outputFiles[0].contents);
  for (const file of ["ours.mjs", "esbuild.mjs"]) {
    const r = spawnSync(process.execPath, [path.join(outDir, file)], { encoding: "utf8" });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
    assert.equal(r.stdout, native.stdout, file);
  }
});
