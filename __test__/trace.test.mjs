// Differential test of our Rust file tracer (crates/trace) against @vercel/nft
// on real npm packages: the same entries must give the same files, the same
// reasons (kinds and parents), the same ES module list and the same warnings
// (unresolvable specifiers, unparsable files). Any difference must be listed
// in EXPLAINED below with the reason; listed differences are asserted too, so
// a fixed one fails the test until its entry is removed.
//
// Installs @vercel/nft into __test__/trace/node_modules and the packages into
// __test__/trace/.work/ on first run (see __test__/trace/harness.mjs).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ensureOracle, ensureWork, npmDir, pnpmDir, runNft, runOurs, traceBinary, warningKeys } from "./trace/harness.mjs";

/** Differences with nft that are understood: `{ case: { onlyOurs, onlyNft, why } }`. None today. */
const EXPLAINED = {};

const nm = (p) => path.join(npmDir, "node_modules", p);

const CASES = [
  {
    name: "next server (npm layout)",
    base: npmDir,
    entries: [nm("next/dist/server/next-server.js")],
    min: 500,
    mustInclude: [
      "node_modules/next/dist/server/next-server.js",
      "node_modules/next/dist/compiled/next-server/app-page.runtime.prod.js",
      "node_modules/next/package.json",
    ],
  },
  {
    name: "@aws-sdk/client-s3",
    base: npmDir,
    entries: [path.join(npmDir, "entry-s3.js")],
    min: 50,
    mustInclude: ["node_modules/@aws-sdk/client-s3/dist-cjs/index.js", "node_modules/@smithy/core/package.json"],
  },
  {
    name: "react-dom/server",
    base: npmDir,
    entries: [path.join(npmDir, "entry-react-dom-server.js")],
    min: 8,
    mustInclude: ["node_modules/react-dom/server.node.js", "node_modules/react/package.json"],
  },
  {
    name: "native addons (node-gyp-build prebuilds, argon2 special case)",
    base: npmDir,
    entries: [path.join(npmDir, "entry-native.js")],
    min: 8,
    mustMatch: [/^node_modules\/bufferutil\/prebuilds\/linux-x64\/.*\.node$/, /^node_modules\/argon2\/prebuilds\/linux-x64\/.*\.node$/],
  },
  {
    name: "sharp (per-platform packages, shared libraries)",
    base: npmDir,
    entries: [path.join(npmDir, "entry-sharp.js")],
    min: 20,
    mustMatch: [
      /^node_modules\/@img\/sharp-linux-x64\/lib\/.*\.node$/,
      /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/,
    ],
  },
  {
    name: "wasm (tiktoken, @vercel/og)",
    base: npmDir,
    entries: [path.join(npmDir, "entry-wasm.mjs")],
    min: 20,
    mustInclude: [
      "node_modules/tiktoken/tiktoken_bg.wasm",
      "node_modules/@vercel/og/dist/resvg.wasm",
      "node_modules/@vercel/og/dist/Geist-Regular.ttf",
    ],
  },
  {
    name: "pnpm workspace app",
    base: pnpmDir,
    entries: [path.join(pnpmDir, "apps/web/server.js")],
    min: 20,
    // symlinks are listed as links and as their targets
    mustInclude: ["apps/web/node_modules/@repo/ui", "packages/ui/src/index.js", "apps/web/node_modules/semver"],
    mustMatch: [/^node_modules\/\.pnpm\/react-dom@[^/]+\/node_modules\/react-dom\/server\.node\.js$/],
  },
  {
    name: "next server (pnpm layout)",
    base: pnpmDir,
    entries: [path.join(pnpmDir, "apps/web/node_modules/next/dist/server/next-server.js")],
    min: 500,
    mustInclude: ["apps/web/node_modules/next"],
  },
];

function sortedDiff(a, b) {
  const bs = new Set(b);
  return a.filter((x) => !bs.has(x)).sort();
}

let bin;

describe("file tracing vs @vercel/nft", { timeout: 1_800_000 }, () => {
  before(() => {
    ensureOracle();
    ensureWork();
    bin = traceBinary();
  });

  for (const c of CASES) {
    test(c.name, (t) => {
      const ours = runOurs(bin, c.base, c.entries);
      const nft = runNft(c.base, c.entries);
      t.diagnostic(
        `files: ours ${ours.fileList.length}, nft ${nft.fileList.length}; ms: ours ${ours.ms.toFixed(0)}, nft ${nft.ms.toFixed(0)}`,
      );

      assert.ok(nft.fileList.length >= c.min, `nft traced only ${nft.fileList.length} files`);
      for (const f of c.mustInclude ?? []) assert.ok(ours.fileList.includes(f), `missing ${f}`);
      for (const re of c.mustMatch ?? [])
        assert.ok(
          ours.fileList.some((f) => re.test(f)),
          `no file matches ${re}`,
        );

      const expected = EXPLAINED[c.name] ?? { onlyOurs: [], onlyNft: [] };
      assert.deepEqual(
        { onlyOurs: sortedDiff(ours.fileList, nft.fileList), onlyNft: sortedDiff(nft.fileList, ours.fileList) },
        { onlyOurs: expected.onlyOurs, onlyNft: expected.onlyNft },
        "file sets differ",
      );

      const reasonDiffs = [];
      for (const f of ours.fileList) {
        const a = ours.reasons[f];
        const b = nft.reasons[f];
        if (!b) continue;
        const same =
          JSON.stringify([...a.type].sort()) === JSON.stringify(b.type) &&
          JSON.stringify([...a.parents].sort()) === JSON.stringify(b.parents);
        if (!same) reasonDiffs.push({ file: f, ours: a, nft: b });
      }
      assert.deepEqual(reasonDiffs.slice(0, 5), [], `${reasonDiffs.length} files have different reasons`);
      assert.deepEqual(ours.esmFileList, nft.esmFileList, "ES module lists differ");
      assert.deepEqual(warningKeys(ours.warnings), warningKeys(nft.warnings), "warnings differ");
    });
  }

  test("the ignore option agrees with nft's", () => {
    const entries = [nm("next/dist/server/next-server.js")];
    const ignore = ["node_modules/next/dist/compiled/next-server/**", "**/*.map"];
    const ours = runOurs(
      bin,
      npmDir,
      entries,
      ignore.flatMap((g) => ["--ignore", g]),
    );
    const nft = runNft(
      npmDir,
      entries,
      ignore.flatMap((g) => ["--ignore", g]),
    );
    assert.ok(!ours.fileList.some((f) => f.startsWith("node_modules/next/dist/compiled/next-server/")));
    assert.deepEqual(sortedDiff(ours.fileList, nft.fileList), []);
    assert.deepEqual(sortedDiff(nft.fileList, ours.fileList), []);
  });
});

describe("nodeFileTrace (the public API, through napi)", { timeout: 600_000 }, () => {
  let api;
  before(async () => {
    ensureOracle();
    ensureWork();
    api = await import("../dist/index.mjs");
  });

  test("agrees with nft on Next's server entry, and a shared cache gives the same result", async () => {
    const entries = [nm("next/dist/server/next-server.js")];
    const nft = runNft(npmDir, entries);
    const cache = new api.TraceCache();
    const cold = await api.nodeFileTrace(entries, { base: npmDir }, cache);
    assert.deepEqual(sortedDiff(cold.fileList, nft.fileList), []);
    assert.deepEqual(sortedDiff(nft.fileList, cold.fileList), []);
    assert.deepEqual(cold.esmFileList, nft.esmFileList);
    const f = "node_modules/next/dist/server/next-server.js";
    assert.deepEqual([...cold.reasons[f].type].sort(), [...nft.reasons[f].type].sort());
    assert.ok(cache.analysisCount > 100, `cache holds ${cache.analysisCount} analyses`);
    const warm = await api.nodeFileTrace(entries, { base: npmDir }, cache);
    assert.deepEqual(warm.fileList, cold.fileList);
    const sync = (await import("../index.js")).default.nodeFileTraceSync(entries, { base: npmDir });
    assert.deepEqual(sync.fileList, cold.fileList);
  });

  test("options: ignore, platform/arch for native prebuilds", async () => {
    const dir = path.join(import.meta.dirname, "trace/native-node-gyp-build");
    const arm = await api.nodeFileTrace([path.join(dir, "input.js")], { base: dir, platform: "linux", arch: "arm64" });
    assert.ok(arm.fileList.includes("node_modules/addon/prebuilds/linux-arm64/addon.glibc.node"), arm.fileList.join("\n"));
    assert.ok(!arm.fileList.some((f) => f.includes("linux-x64/addon")));
    const ignored = await api.nodeFileTrace([path.join(dir, "input.js")], { base: dir, ignore: ["node_modules/node-gyp-build/**"] });
    assert.ok(!ignored.fileList.some((f) => f.startsWith("node_modules/node-gyp-build/")));
    assert.ok(ignored.fileList.includes("node_modules/addon/index.js"));
  });

  test("bad input rejects with ERR_TRACE naming the path", async () => {
    await assert.rejects(api.nodeFileTrace(["/nonexistent/entry.js"], { base: "/" }), (e) => {
      assert.equal(e.code, "ERR_TRACE");
      assert.match(e.message, /\/nonexistent\/entry\.js/);
      return true;
    });
    await assert.rejects(api.nodeFileTrace([nm("next/package.json")], { base: "/nonexistent-base" }), /ERR_TRACE|nonexistent-base/);
    await assert.rejects(api.nodeFileTrace([nm("next/package.json")], { base: npmDir, libc: "bionic" }), /options\.libc/);
  });
});
