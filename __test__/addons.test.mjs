// Where the native addons come from (js/addons.ts): the package root, installed
// platform packages, the cache, or the registry; and the errors when none fits.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { freePort, repoRoot, startServer } from "./helpers/util.mjs";

/** A registry on 127.0.0.1 serving one package version: `node -e REGISTRY <port> <name> <tarball>`; logs each GET. */
const REGISTRY = `
const http = require("node:http");
const fs = require("node:fs");
const [port, name, tgz] = process.argv.slice(1);
const base = "http://127.0.0.1:" + port;
http.createServer((req, res) => {
  console.log("GET " + req.url);
  if (req.url === "/" + name) {
    res.setHeader("content-type", "application/json");
    const v = { name, version: "0.0.0-test", dist: { tarball: base + "/p.tgz" } };
    res.end(JSON.stringify({ name, "dist-tags": { latest: "0.0.0-test" }, versions: { "0.0.0-test": v } }));
  } else if (req.url === "/p.tgz") res.end(fs.readFileSync(tgz));
  else res.writeHead(req.url === "/-/ping" ? 200 : 404).end("{}");
}).listen(Number(port), "127.0.0.1");
setInterval(() => { if (process.ppid === 1) process.exit(0); }, 1000);
`;

const { hostTarget, loadBuildAddon, platformPackage, runtimeAddons, wantedTargets } = await import(
  pathToFileURL(path.join(repoRoot, "dist/addons.mjs")).href
);

const temps = [];
function temp() {
  const d = mkdtempSync(path.join(tmpdir(), "on-addons-"));
  temps.push(d);
  return d;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** An installed open-next-rs (no Cargo.toml: not a source checkout) with the given files at its root. */
function installedPackage(files = []) {
  const root = temp();
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "open-next-rs", version: "0.0.0-test" }));
  for (const f of files) writeFileSync(path.join(root, f), "");
  return root;
}

test("the host's target is napi-rs's name", () => {
  assert.equal(hostTarget(), `linux-${process.arch}-gnu`);
  assert.equal(platformPackage("linux-arm64-gnu"), "open-next-rs-linux-arm64-gnu");
});

test("the wanted targets follow each function's install.arch / install.libc", () => {
  assert.deepEqual([...wantedTargets({})].sort(), ["linux-arm64-gnu", "linux-x64-gnu"]);
  const narrowed = {
    default: { install: { arch: "arm64" } },
    imageOptimization: { install: { arch: "arm64" } },
    middleware: { install: { arch: "x64", libc: "musl" } },
  };
  assert.deepEqual([...wantedTargets(narrowed)].sort(), [hostTarget(), "linux-arm64-gnu", "linux-x64-musl"].sort());
});

test("no build addon for this machine: the error names the platform and the package to install", () => {
  const root = installedPackage();
  writeFileSync(
    path.join(root, "index.js"),
    "throw new Error('Cannot find native binding. npm has a bug related to optional dependencies');\n",
  );
  assert.throws(
    () => loadBuildAddon(root),
    (e) => {
      assert.match(e.message, new RegExp(`this machine \\(${hostTarget()}\\)`));
      assert.match(e.message, new RegExp(`npm install ${platformPackage(hostTarget())}`));
      assert.match(e.message, /Cannot find native binding/);
      return true;
    },
  );
});

test("runtime addons are found at the root, in installed platform packages and in the cache", () => {
  const root = installedPackage(["open-next-runtime.linux-x64-gnu.node", "open-next-image.linux-x64-gnu.node", "other.node"]);
  const pkg = path.join(root, "node_modules", platformPackage("linux-arm64-gnu"));
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: platformPackage("linux-arm64-gnu"), version: "0.0.0-test" }));
  for (const f of ["open-next-runtime.linux-arm64-gnu.node", "open-next-image.linux-arm64-gnu.node", "open-next.linux-arm64-gnu.node"])
    writeFileSync(path.join(pkg, f), "");
  const cache = temp();
  process.env.OPEN_NEXT_RS_CACHE = cache;
  try {
    const cached = path.join(cache, "addons/0.0.0-test/linux-x64-musl");
    mkdirSync(cached, { recursive: true });
    for (const f of ["open-next-runtime.linux-x64-musl.node", "open-next-image.linux-x64-musl.node"])
      writeFileSync(path.join(cached, f), "");
    const notes = [];
    const found = runtimeAddons(root, new Set(["linux-x64-gnu", "linux-arm64-gnu", "linux-x64-musl"]), notes);
    assert.deepEqual(
      found.sort(),
      [
        path.join(cached, "open-next-image.linux-x64-musl.node"),
        path.join(cached, "open-next-runtime.linux-x64-musl.node"),
        path.join(pkg, "open-next-image.linux-arm64-gnu.node"),
        path.join(pkg, "open-next-runtime.linux-arm64-gnu.node"),
        path.join(root, "open-next-image.linux-x64-gnu.node"),
        path.join(root, "open-next-runtime.linux-x64-gnu.node"),
      ].sort(),
    );
    assert.deepEqual(notes, [], "nothing had to be fetched");
  } finally {
    delete process.env.OPEN_NEXT_RS_CACHE;
  }
});

test("a source checkout never fetches: it builds its own addons", () => {
  const root = installedPackage(["open-next-runtime.linux-x64-gnu.node", "open-next-image.linux-x64-gnu.node"]);
  writeFileSync(path.join(root, "Cargo.toml"), "");
  const notes = [];
  assert.equal(runtimeAddons(root, new Set(["linux-arm64-gnu"]), notes).length, 2);
  assert.deepEqual(notes, []);
});

test("a missing target is fetched from the registry with npm pack and kept in the cache; one it cannot have is named", async () => {
  // A registry on loopback serving the platform package, as the npm registry would.
  const pkgDir = temp();
  const name = platformPackage("linux-arm64-gnu");
  mkdirSync(path.join(pkgDir, "package"));
  writeFileSync(path.join(pkgDir, "package/package.json"), JSON.stringify({ name, version: "0.0.0-test" }));
  for (const f of ["open-next.linux-arm64-gnu.node", "open-next-runtime.linux-arm64-gnu.node", "open-next-image.linux-arm64-gnu.node"])
    writeFileSync(path.join(pkgDir, "package", f), f);
  execFileSync("tar", ["-czf", path.join(pkgDir, "p.tgz"), "-C", pkgDir, "package"]);
  // In its own process: the build's `npm pack` blocks this one.
  const port = await freePort();
  const registry = await startServer(process.execPath, ["-e", REGISTRY, String(port), name, path.join(pkgDir, "p.tgz")], {
    url: `http://127.0.0.1:${port}/-/ping`,
  });
  const asked = () =>
    registry
      .log()
      .split("\n")
      .filter((l) => l.startsWith("GET "));
  const root = installedPackage(["open-next-runtime.linux-x64-gnu.node", "open-next-image.linux-x64-gnu.node"]);
  const cache = temp();
  process.env.OPEN_NEXT_RS_CACHE = cache;
  process.env.npm_config_registry = `http://127.0.0.1:${port}/`;
  process.env.npm_config_cache = temp();
  try {
    const notes = [];
    // The registry has no linux-x64-musl package.
    const found = runtimeAddons(root, new Set(["linux-arm64-gnu", "linux-x64-musl"]), notes);
    assert.equal(notes.length, 1, notes.join("\n"));
    assert.match(notes[0], /^could not fetch open-next-rs-linux-x64-musl@0\.0\.0-test from the registry: .*404/);
    const dest = path.join(cache, "addons/0.0.0-test/linux-arm64-gnu");
    assert.ok(found.includes(path.join(dest, "open-next-runtime.linux-arm64-gnu.node")), found.join("\n"));
    assert.equal(readFileSync(path.join(dest, "open-next-image.linux-arm64-gnu.node"), "utf8"), "open-next-image.linux-arm64-gnu.node");
    await new Promise((r) => setTimeout(r, 200)); // the registry's log, read while this process was blocked
    assert.ok(asked().includes(`GET /${name}`), asked().join());
    // Kept: the next build finds it without asking the registry.
    const before = asked().length;
    assert.equal(runtimeAddons(root, new Set(["linux-arm64-gnu"]), []).length, 4);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(asked().length, before);
  } finally {
    delete process.env.OPEN_NEXT_RS_CACHE;
    delete process.env.npm_config_registry;
    delete process.env.npm_config_cache;
    registry.stop();
  }
});
