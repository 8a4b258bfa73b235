// A pnpm workspace: the Next app in apps/web imports a workspace package, and
// node_modules is pnpm's symlinked layout. `open-next build` runs from the app
// directory, detects pnpm from the lockfile at the workspace root, and writes the
// function with the app under its package path plus a root index.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePort, repoRoot, request, runCli, startServer } from "./helpers/util.mjs";

const root = path.join(repoRoot, "__test__/fixtures/pnpm-monorepo");
const app = path.join(root, "apps/web");
const fn = path.join(app, ".open-next/server-functions/default");
// pnpm itself comes from this repository's devDependencies.
const env = { PATH: `${path.join(repoRoot, "node_modules/.bin")}:${process.env.PATH}` };
let build;
let server;

before(async () => {
  writeFileSync(
    path.join(app, "open-next.config.ts"),
    `export default { default: { override: { wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" } } };\n`,
  );
  rmSync(path.join(app, ".open-next"), { recursive: true, force: true });
  build = runCli(["build"], app, env);
  if (build.code !== 0) throw new Error(`open-next build failed:\n${build.output}`);
  const port = await freePort();
  server = await startServer(process.execPath, [path.join(fn, "index.mjs")], {
    cwd: root,
    env: { PORT: String(port), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${port}/`,
  });
  server.base = `http://127.0.0.1:${port}`;
});

after(() => {
  server?.stop();
  rmSync(path.join(app, "open-next.config.ts"), { force: true });
});

test("the build ran `pnpm run build` and kept the workspace layout", () => {
  assert.match(build.stdout, /Next\.js build command: pnpm run build/);
  assert.ok(existsSync(path.join(fn, "apps/web/index.mjs")), "bundle under the package path");
  assert.ok(existsSync(path.join(fn, "apps/web/open-next.config.mjs")));
  assert.ok(existsSync(path.join(fn, "apps/web/.next/BUILD_ID")));
  assert.equal(readFileSync(path.join(fn, "index.mjs"), "utf8").trim(), 'export * from "./apps/web/index.mjs";');
});

test("pnpm symlinks are preserved and build-only packages are left out", () => {
  const next = path.join(fn, "apps/web/node_modules/next");
  assert.ok(lstatSync(next).isSymbolicLink(), "apps/web/node_modules/next is a symlink");
  assert.ok(existsSync(path.join(next, "package.json")), "the symlink resolves inside the function");
  const store = readdirSync(path.join(fn, "node_modules/.pnpm"));
  assert.ok(store.some((d) => d.startsWith("next@")));
  assert.deepEqual(
    store.filter((d) => d.startsWith("@next+swc-") || d.startsWith("@img+") || d.startsWith("sharp@")),
    [],
  );
});

test("pages render through the function, including the workspace package", async () => {
  const home = await request(`${server.base}/`);
  assert.equal(home.status, 200);
  assert.match(home.body.toString(), /marker:monorepo-home/);
  assert.match(home.body.toString(), /greeting-from-workspace-package:web/);
  const api = await request(`${server.base}/api/hello?name=x`);
  assert.deepEqual(JSON.parse(api.body), { message: "greeting-from-workspace-package:x" });
  const legacy = await request(`${server.base}/legacy`);
  assert.match(legacy.body.toString(), /marker:monorepo-pages-ssr/);
  const pub = await request(`${server.base}/hello.txt`);
  assert.equal(pub.body.toString().trim(), "monorepo public file");
});

test("ISR revalidates in the monorepo layout (cache found from the nested bundle)", { timeout: 60_000 }, async () => {
  const time = async () => /id="time"[^>]*>(?:<!-- -->)?(\d+)/.exec((await request(`${server.base}/isr`)).body.toString())?.[1];
  const first = await time();
  assert.ok(first);
  await new Promise((r) => setTimeout(r, 6500));
  await time();
  let next;
  for (let i = 0; i < 20 && (!next || next === first); i++) {
    await new Promise((r) => setTimeout(r, 500));
    next = await time();
  }
  assert.notEqual(next, first);
});
