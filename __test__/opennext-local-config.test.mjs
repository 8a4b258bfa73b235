// OpenNext's own local configuration, as its example apps ship it
// (`open-next.config.local.ts`: `express-dev` + `node`, `fs-dev` caches, the
// `direct` queue, `fs-dev-nextMode` tags, and the image function with `dummy`
// wrapper/converter and the `fs-dev` loader), built as is on the Next 16 fixture
// (already built by `next build` in an earlier test file) and served.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { imageSize } from "./helpers/image-size.mjs";
import { freePort, hostImageAddon, repoRoot, request, runCli, startServer } from "./helpers/util.mjs";

const dir = path.join(repoRoot, "__test__/fixtures/next16");
const configFile = path.join(dir, "open-next.config.ts");

// The shape of opennextjs-aws examples/app-router/open-next.config.local.ts (their own names and values).
const LOCAL_CONFIG = `export default {
  default: {
    override: {
      wrapper: "express-dev",
      converter: "node",
      incrementalCache: "fs-dev",
      queue: "direct",
      tagCache: "fs-dev-nextMode",
    },
  },
  dangerous: { middlewareHeadersOverrideNextConfigHeaders: true },
  imageOptimization: {
    override: { wrapper: "dummy", converter: "dummy" },
    loader: "fs-dev",
  },
};
`;

let server;
let base;

before(async () => {
  if (!existsSync(path.join(dir, ".next/BUILD_ID"))) runCli(["build"], dir);
  writeFileSync(configFile, LOCAL_CONFIG);
  const r = runCli(["build", "--skip-next-build"], dir);
  if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
  const port = await freePort();
  server = await startServer(process.execPath, [path.join(dir, ".open-next/server-functions/default/index.mjs")], {
    cwd: dir,
    env: { PORT: String(port), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${port}/__health`,
  });
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  server?.stop();
  rmSync(configFile, { force: true });
});

test("express-dev serves pages, static files and /_next/image", async () => {
  const page = await request(`${base}/app-ssg`);
  assert.equal(page.status, 200);
  const file = await request(`${base}/nested/file.txt`);
  assert.equal(file.status, 200);
  const image = await request(`${base}/_next/image?url=%2Fimg%2Fphoto.jpg&w=640&q=75`, { headers: { accept: "image/webp" } });
  assert.equal(image.status, 200, image.body.toString());
  assert.deepEqual(imageSize(image.body), { type: "webp", width: 640, height: 427 });
  // OpenNext's express-dev answers images with its image function: a failure may be retried after a minute.
  const bad = await request(`${base}/_next/image`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.toString(), '"url" parameter is required');
  assert.equal(bad.headers["cache-control"], "public,max-age=60,immutable");
  // The image function was built for it too, with OpenNext's dummy wrapper: a plain (event) => result handler.
  const { handler } = await import(path.join(dir, ".open-next/image-optimization-function/index.mjs"));
  const url = "http://localhost/_next/image?url=%2Fimg%2Falpha.png&w=128&q=75";
  const result = await handler({
    type: "core",
    method: "GET",
    rawPath: "/_next/image",
    url,
    headers: { accept: "image/webp", host: "localhost" },
    query: Object.fromEntries(new URL(url).searchParams),
    cookies: {},
    remoteAddress: "127.0.0.1",
  });
  assert.equal(result.statusCode, 200);
  const chunks = [];
  for await (const c of result.body) chunks.push(c);
  assert.deepEqual(imageSize(Buffer.concat(chunks)), { type: "webp", width: 128, height: 96 });
});

test("fs-dev-nextMode: revalidateTag expires a 'use cache' entry, and the tag is saved for the next start", async () => {
  const value = async () => /id="cached">([^<]+)</.exec((await request(`${base}/use-cache`)).body.toString())?.[1];
  const first = await value();
  assert.ok(first);
  assert.equal(await value(), first, "cached");
  const r = await request(`${base}/api/revalidate-tag?tag=use-cache-tag`, { method: "POST" });
  assert.equal(r.status, 200);
  const next = await value();
  assert.ok(next && next !== first, `a new value after revalidateTag (${first} → ${next})`);
  // The file is written (a temporary file renamed over it) as the tag cache is written, which
  // may finish after the answers above: wait for it, up to 5 s.
  const stateFile = path.join(dir, ".open-next/fs-dev-tag-cache-nextMode.json");
  const tagged = () => existsSync(stateFile) && Number(JSON.parse(readFileSync(stateFile, "utf8"))["use-cache-tag"]?.revalidatedAt?.N) > 0;
  for (let i = 0; i < 100 && !tagged(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(tagged(), existsSync(stateFile) ? readFileSync(stateFile, "utf8") : "no state file");
});

/**
 * Gives the image function in `fnDir` one `/_next/image` request through OpenNext's dummy
 * converter, in a process of its own as Lambda loads it (this one has another config module
 * cached). Returns the status, content type, body and the keys a custom loader saw.
 */
function invokeImageFunction(fnDir, query, accept, env = {}) {
  const script = `
    const { handler } = await import(${JSON.stringify(path.join(fnDir, "index.mjs"))});
    const url = "http://localhost/_next/image?${query}";
    const r = await handler({ type: "core", method: "GET", rawPath: "/_next/image", url, headers: { accept: ${JSON.stringify(accept)}, host: "localhost" },
      query: Object.fromEntries(new URL(url).searchParams), cookies: {}, remoteAddress: "127.0.0.1" });
    const chunks = [];
    for await (const c of r.body) chunks.push(c);
    console.log(JSON.stringify({ status: r.statusCode, type: r.headers["content-type"], body: Buffer.concat(chunks).toString("base64"), loaded: globalThis.__loaded }));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: fnDir,
    env: { ...process.env, ...env },
  });
  const result = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
  return { ...result, body: Buffer.from(result.body ?? "", "base64"), stderr: run.stderr };
}

test("a custom image loader is used (also under open-next preview, which points the bucket loaders at its assets)", async () => {
  writeFileSync(
    configFile,
    LOCAL_CONFIG.replace(
      'loader: "fs-dev"',
      `loader: async () => ({ name: "mine", load: async (key) => { globalThis.__loaded = [...(globalThis.__loaded ?? []), key]; return { body: (await import("node:fs")).readFileSync(${JSON.stringify(path.join(dir, "public"))} + key), contentType: "image/png" }; } })`,
    ),
  );
  const r = runCli(["build", "--skip-next-build"], dir);
  assert.equal(r.code, 0, r.output);
  const result = invokeImageFunction(path.join(dir, ".open-next/image-optimization-function"), "url=%2Fimg%2Falpha.png&w=64&q=75", "*/*", {
    OPEN_NEXT_PREVIEW_ASSETS_DIR: path.join(dir, ".open-next/assets"),
    // Built for arm64 (OpenNext's default for the image function): it borrows this machine's addon, as preview lends it.
    OPEN_NEXT_PREVIEW_ADDONS: hostImageAddon,
  });
  assert.equal(result.status, 200, result.stderr);
  assert.deepEqual(imageSize(result.body), { type: "png", width: 64, height: 48 });
  assert.deepEqual(result.loaded, ["/img/alpha.png"]);
});

test("Next 16.5's experimental.imgOptSafeMode.nextImage: the image function optimizes with the Rust stage, without @next/safe-image-optimization", async (t) => {
  const nextVersion = JSON.parse(readFileSync(path.join(dir, "node_modules/next/package.json"), "utf8")).version;
  if (!existsSync(path.join(dir, "node_modules/next/dist/server/image-optimizer/nsio.js"))) {
    t.skip(`next ${nextVersion} has no safe mode`);
    return;
  }
  writeFileSync(configFile, LOCAL_CONFIG);
  const r = runCli(["build", "--skip-next-build"], dir);
  assert.equal(r.code, 0, r.output);
  assert.ok(
    !existsSync(path.join(dir, ".open-next/image-optimization-function/node_modules/@next/safe-image-optimization")),
    "not shipped",
  );
  // Run outside the app, as on Lambda: here Node would find the package in the app's node_modules.
  const out = mkdtempSync(path.join(os.tmpdir(), "open-next-safe-mode-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  cpSync(path.join(dir, ".open-next"), out, { recursive: true });
  const fnDir = path.join(out, "image-optimization-function");
  // The optimizer reads the config at run time: turn safe mode on there, as `next build` with the flag writes it.
  const requiredFile = path.join(fnDir, ".next/required-server-files.json");
  const required = JSON.parse(readFileSync(requiredFile, "utf8"));
  required.config.experimental = { ...required.config.experimental, imgOptSafeMode: { nextImage: true } };
  writeFileSync(requiredFile, JSON.stringify(required));
  // Next's own safe-mode path would need the package, fail, and serve the original JPEG.
  const result = invokeImageFunction(fnDir, "url=%2Fimg%2Fphoto.jpg&w=64&q=75", "image/webp");
  assert.equal(result.status, 200, result.stderr);
  assert.equal(result.type, "image/webp", result.stderr);
  assert.deepEqual(imageSize(result.body), { type: "webp", width: 64, height: 43 });
});
