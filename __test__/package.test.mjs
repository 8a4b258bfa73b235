// The user's path: `npm pack` this package, install the tarball into a copy of
// the example app, then `npx open-next build`, the server function and `npx open-next preview`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, repoRoot, request, startServer } from "./helpers/util.mjs";

let work;
let app;
const servers = [];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" }, timeout: 600_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

before(() => {
  work = mkdtempSync(path.join(tmpdir(), "on-pack-"));
  const packed = run("npm", ["pack", "--pack-destination", work, "--loglevel=error"], repoRoot).stdout.trim().split("\n").pop();
  const tarball = path.join(work, packed);
  assert.ok(existsSync(tarball), `tarball ${tarball}`);
  app = path.join(work, "app");
  cpSync(path.join(repoRoot, "examples/basic"), app, {
    recursive: true,
    filter: (s) => !/[/\\](node_modules|\.next|\.open-next)$/.test(s),
  });
  const pkg = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8"));
  pkg.devDependencies = { "open-next-rs": `file:${tarball}` };
  writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg, null, 2));
  rmSync(path.join(app, "package-lock.json"), { force: true });
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app);
});

after(() => {
  for (const s of servers) s.stop();
  rmSync(work, { recursive: true, force: true });
});

test("npx open-next build works from the installed tarball", () => {
  const r = run("npx", ["open-next", "build"], app);
  assert.match(r.stdout, /open-next: built \.open-next/);
  assert.ok(existsSync(path.join(app, ".open-next/open-next.output.json")));
  // The installed package is a real copy, not a link to the repo.
  assert.ok(!readdirSync(path.join(app, "node_modules/open-next-rs")).includes("crates"));
});

test("the server function serves the app", async () => {
  const port = await freePort();
  const s = await startServer(process.execPath, [".open-next/server-functions/default/index.mjs"], {
    cwd: app,
    env: { PORT: String(port), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${port}/`,
  });
  servers.push(s);
  const home = await request(`http://127.0.0.1:${port}/`);
  assert.equal(home.status, 200);
  assert.match(home.body.toString(), /Hello from open-next-rs/);
  const api = await request(`http://127.0.0.1:${port}/api/hello`);
  assert.equal(api.status, 200);
  const redirect = await request(`http://127.0.0.1:${port}/old-isr`);
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, "/isr");
});

test("npx open-next preview serves assets with their cache policy and pages through the function", async () => {
  const port = await freePort();
  const s = await startServer("npx", ["open-next", "preview", "--port", String(port)], {
    cwd: app,
    url: `http://127.0.0.1:${port}/hello.txt`,
  });
  servers.push(s);
  const txt = await request(`http://127.0.0.1:${port}/hello.txt`);
  assert.equal(txt.status, 200);
  assert.equal(txt.headers["cache-control"], "public,max-age=0,s-maxage=31536000,must-revalidate");
  const html = (await request(`http://127.0.0.1:${port}/`)).body.toString();
  const chunk = /\/_next\/static\/[^"]+\.js/.exec(html)?.[0];
  assert.ok(chunk, "home page references a static chunk");
  const js = await request(`http://127.0.0.1:${port}${chunk}`);
  assert.equal(js.status, 200);
  assert.equal(js.headers["cache-control"], "public,max-age=31536000,immutable");
  const ssr = await request(`http://127.0.0.1:${port}/ssr`);
  assert.equal(ssr.status, 200);
});
