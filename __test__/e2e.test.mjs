// End to end: `open-next build` on real Next.js fixture apps (Next 16 and 15.5),
// then the same requests sent to `next start` (the reference, same build) and to
// our server function (`node .open-next/server-functions/default/index.mjs`).
// The Next 15.5 app (edge middleware) is built with external middleware too, and
// every request is also sent through a CloudFront stand-in running the
// middleware function (`helpers/cloudfront.mjs`) in front of the server function.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { eventually, freePort, repoRoot, request, runCli, startCloudFront, startServer } from "./helpers/util.mjs";
import { imageSize } from "./helpers/image-size.mjs";
import { meanPixelDifference, writeIccImages } from "./helpers/icc-images.mjs";

// The Next 15 fixture runs a minified server function (swc mangling of the
// runtime) and proxies external rewrites with fetch instead of node:http.
const nodeConfig = (next15) => `import type { OpenNextConfig } from "open-next-rs";
const config = {
  default: {
    minify: ${next15},
    override: {
      wrapper: "node",
      converter: "node",
      incrementalCache: "fs-dev",
      tagCache: "fs-dev",
      queue: "direct",
      proxyExternalRequest: "${next15 ? "fetch" : "node"}",
    },
  },${next15 ? "\n  middleware: { external: true }," : ""}
} satisfies OpenNextConfig;
export default config;
`;

/**
 * The target of the fixtures' external rewrite (`/external/:path*`): answers
 * gzip-compressed JSON echoing what it received, with a hop-by-hop header that
 * must not be forwarded (next start forwards it; we do not). Listens on 127.0.0.1 and is closed after the suite.
 */
async function startUpstream(appDir) {
  const server = http.createServer((req, res) => {
    // Remote images (next.config's remotePatterns allow /remote/ on this server).
    if (req.url === "/remote/photo.jpg") {
      res.writeHead(200, { "content-type": "image/jpeg", "cache-control": "public, max-age=86400" });
      res.end(readFileSync(path.join(appDir, "public/img/photo.jpg")));
      return;
    }
    if (req.url === "/remote/moved.jpg") {
      res.writeHead(302, { location: "/remote/photo.jpg" });
      res.end();
      return;
    }
    if (req.url === "/remote/text.jpg") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("not an image");
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url.startsWith("/fail")) {
        req.socket.destroy();
        return;
      }
      const padding = req.url.startsWith("/big") ? "x".repeat(60_000) : undefined;
      const payload = JSON.stringify({ upstream: true, method: req.method, url: req.url, host: req.headers.host, body, padding });
      res.writeHead(req.url.startsWith("/teapot") ? 418 : 200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "x-upstream": "yes",
        "proxy-authenticate": "Basic realm=upstream",
      });
      res.end(zlib.gzipSync(payload));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { port: server.address().port, close: () => server.close() };
}

/**
 * A Location as a path when it points at the server itself. `next start` 15.5 puts
 * its internal origin (`http://localhost:<port>`) in middleware redirects where 16.x
 * and we send the path; both mean the same page.
 */
const sameOrigin = (location) => location?.replace(/^http:\/\/(localhost|127\.0\.0\.1):\d+(?=\/)/, "");

const fixtures = (process.env.OPEN_NEXT_FIXTURES ?? "next16,next15").split(",").filter(Boolean);

/**
 * The same server function with its runtime bundled by esbuild instead of by us:
 * the entry `open-next build` generates for these overrides, bundled with npm
 * packages external (as ours keeps them) into `index-esbuild.mjs` next to our
 * `index.mjs`, so it loads the same config, routing table, addon and Next files.
 */
async function writeEsbuildFunction(fn, next15) {
  const { build } = await import("esbuild");
  const runtime = path.join(repoRoot, "runtime");
  const overrides = {
    wrapper: "wrappers/node",
    converter: "converters/node",
    incrementalCache: "incrementalCache/fs-dev",
    tagCache: "tagCache/fs-dev",
    queue: "queue/direct",
    proxyExternalRequest: `proxyExternalRequest/${next15 ? "fetch" : "node"}`,
    cdnInvalidation: "cdnInvalidation/dummy",
  };
  let src = "";
  for (const [kind, file] of Object.entries(overrides))
    src += `import ${kind} from ${JSON.stringify(path.join(runtime, "overrides", `${file}.ts`))};\n`;
  src += `import { createServerFunction } from ${JSON.stringify(path.join(runtime, "server/main.ts"))};\n`;
  src += `export const handler = createServerFunction({ functionName: "default", overrides: { ${Object.keys(overrides).join(", ")} } });\n`;
  const entryDir = mkdtempSync(path.join(tmpdir(), "on-esbuild-entry-"));
  writeFileSync(path.join(entryDir, "entry.ts"), src);
  await build({
    entryPoints: [path.join(entryDir, "entry.ts")],
    outfile: path.join(fn, "index-esbuild.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    minify: next15,
    logLevel: "silent",
  });
}

for (const name of fixtures) {
  describe(`fixture ${name}`, { timeout: 900_000 }, () => {
    const dir = path.join(repoRoot, "__test__/fixtures", name);
    const specs = JSON.parse(readFileSync(path.join(dir, "requests.json"), "utf8"));
    let ref;
    let ours;
    let edge;
    let esbuilt;
    let buildId;
    let buildResult;
    let upstream;

    before(async () => {
      upstream = await startUpstream(dir);
      await writeIccImages(dir);
      writeFileSync(path.join(dir, "open-next.config.ts"), nodeConfig(name === "next15"));
      rmSync(path.join(dir, ".open-next"), { recursive: true, force: true });
      buildResult = runCli(["build"], dir, { E2E_UPSTREAM_PORT: String(upstream.port) });
      if (buildResult.code !== 0) throw new Error(`open-next build failed:\n${buildResult.output}`);
      buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
      const [refPort, ourPort] = [await freePort(), await freePort()];
      ref = await startServer(
        process.execPath,
        [path.join(dir, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(refPort)],
        {
          cwd: dir,
          // next start reads next.config again: the same upstream port as the build's.
          env: { E2E_UPSTREAM_PORT: String(upstream.port) },
          url: `http://127.0.0.1:${refPort}/`,
        },
      );
      ref.base = `http://127.0.0.1:${refPort}`;
      ours = await startServer(process.execPath, [path.join(dir, ".open-next/server-functions/default/index.mjs")], {
        cwd: dir,
        env: { PORT: String(ourPort), HOST: "127.0.0.1" },
        url: `http://127.0.0.1:${ourPort}/`,
      });
      ours.base = `http://127.0.0.1:${ourPort}`;
      if (name === "next15") {
        edge = await startCloudFront(dir, ourPort);
      }
      const fn = path.join(dir, ".open-next/server-functions/default");
      await writeEsbuildFunction(fn, name === "next15");
      const esbuildPort = await freePort();
      esbuilt = await startServer(process.execPath, [path.join(fn, "index-esbuild.mjs")], {
        cwd: dir,
        env: { PORT: String(esbuildPort), HOST: "127.0.0.1" },
        url: `http://127.0.0.1:${esbuildPort}/`,
      });
      esbuilt.base = `http://127.0.0.1:${esbuildPort}`;
    });

    after(() => {
      ref?.stop();
      ours?.stop();
      edge?.stop();
      esbuilt?.stop();
      upstream?.close();
      rmSync(path.join(dir, "open-next.config.ts"), { force: true });
    });

    test("build prints per-phase timings and writes OpenNext's layout", () => {
      assert.match(buildResult.stdout, /Next\.js build command: npm run build/);
      assert.match(buildResult.stdout, /next build\s+[\d.]+ (ms|s)/);
      assert.match(buildResult.stdout, /server function: copy traced files\s+[\d.]+ (ms|s)/);
      const out = path.join(dir, ".open-next");
      for (const p of [
        "assets/BUILD_ID",
        "assets/_next/static",
        "server-functions/default/index.mjs",
        "server-functions/default/open-next.config.mjs",
        "open-next.output.json",
        `cache/${buildId}`,
      ]) {
        assert.ok(existsSync(path.join(out, p)), `${p} exists`);
      }
      const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
      assert.equal(output.origins.default.wrapper, "node");
      assert.equal(output.origins.default.bundle, ".open-next/server-functions/default");
      assert.deepEqual(
        output.behaviors.slice(0, 3).map((b) => b.pattern),
        ["_next/image*", "_next/data/*", "*"],
      );
      assert.ok(output.behaviors.some((b) => b.pattern === "_next/*" && b.origin === "s3"));
      // No build-only or foreign native packages in the function.
      const nm = path.join(out, "server-functions/default/node_modules");
      assert.ok(!existsSync(path.join(nm, "typescript")));
      assert.ok(!existsSync(path.join(nm, "@next/swc-linux-x64-gnu")));
      assert.ok(!existsSync(path.join(nm, "sharp")));
      // Next >= 16.2 is read through the Deployment Adapter API, older versions through
      // the manifests; either way the routing table ships with the function (with the
      // app's public/ files), next to the runtime addon that loads it.
      assert.match(buildResult.stdout, name === "next16" ? /read via the Deployment Adapter API/ : /read via the build manifests/);
      const fn = path.join(out, "server-functions/default");
      const { Router } = createRequire(import.meta.url)(path.join(fn, "open-next-runtime.linux-x64-gnu.node"));
      const router = new Router(readFileSync(path.join(fn, "routing.json"), "utf8"));
      assert.equal(router.resolve("http://localhost/app-dyn/one", []).resolvedPathname, "/app-dyn/one");
      assert.equal(router.resolve("http://localhost/nested/file.txt", []).resolvedPathname, "/nested/file.txt");
      assert.ok(statSync(path.join(fn, "open-next-runtime.linux-x64-gnu.node")).size < 8 * 1024 * 1024, "runtime addon is small");
      // The build-time table readers stay in the build addon.
      assert.equal(Router.specFromManifests, undefined);
      assert.equal(Router.specFromAdapterOutput, undefined);
      // A self-hosted function answers /_next/image itself: it carries the image addon too.
      assert.ok(existsSync(path.join(fn, "open-next-image.linux-x64-gnu.node")));
      // Prerendered pages live in cache/, not in the function (fully static pages-router
      // .html files stay: Next reads them from disk); no .nft.json traces either.
      const fnNext = path.join(out, "server-functions/default/.next");
      const fnFiles = readdirSync(fnNext, { recursive: true }).map(String);
      assert.ok(!fnFiles.some((f) => f.endsWith(".nft.json")), "no .nft.json in the function");
      for (const f of readdirSync(path.join(dir, ".next/server"), { recursive: true }).map(String)) {
        if (!/^(app|pages)\//.test(f) || f.includes("[")) continue;
        const cached = /\.(rsc|meta|body)$/.test(f) || (f.startsWith("app/") && f.endsWith(".html"));
        if (cached) assert.ok(!fnFiles.includes(path.join("server", f)), `${f} is not in the function`);
        if (f.endsWith(".js") && f.startsWith("app/")) assert.ok(fnFiles.includes(path.join("server", f)), `${f} is in the function`);
      }
      // Next's code is patched in the function only: the build's own files (which the
      // function's may be hard links to) are untouched.
      const patchedRel = "node_modules/next/dist/server/next-server.js";
      const original = readFileSync(path.join(dir, patchedRel), "utf8");
      assert.equal(readFileSync(path.join(dir, ".next/standalone", patchedRel), "utf8"), original);
      assert.notEqual(readFileSync(path.join(out, "server-functions/default", patchedRel), "utf8"), original);
      // No staging leftovers.
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.startsWith(".open-next.")),
        [],
      );
    });

    // Every spec also runs against the function whose runtime esbuild bundled: our
    // bundle and esbuild's of the same entry must behave the same.
    const targets =
      name === "next15" ? ["", " (through external middleware)", " (runtime bundled by esbuild)"] : ["", " (runtime bundled by esbuild)"];
    for (const spec of specs)
      for (const via of targets) {
        // `skipExternalMiddleware`: why the edge answers this one differently.
        if (via.includes("external middleware") && spec.skipExternalMiddleware) continue;
        test(`same as next start${via}: ${spec.name}`, async () => {
          const p = spec.path.replaceAll("__BUILD_ID__", buildId);
          const opts = { method: spec.method ?? "GET", headers: spec.headers ?? {}, body: spec.body };
          const [a, b] = await Promise.all([
            request(ref.base + p, opts),
            request((via === "" ? ours : via.includes("esbuild") ? esbuilt : edge).base + p, opts),
          ]);
          // `status`: what we answer where we follow OpenNext rather than next start
          // (`nextStartStatus`, checked too, so the difference stays measured).
          if (spec.status !== undefined) {
            assert.equal(b.status, spec.status, `status of ${spec.method ?? "GET"} ${p}`);
            if (spec.nextStartStatus !== undefined) assert.equal(a.status, spec.nextStartStatus, `next start's status of ${p}`);
          }
          for (const key of spec.compare ?? ["status"]) {
            if (key === "status") assert.equal(b.status, a.status, `status of ${spec.method ?? "GET"} ${p}`);
            else if (key === "location") assert.equal(sameOrigin(b.headers[key]), sameOrigin(a.headers[key]), `location of ${p}`);
            else assert.deepEqual(b.headers[key], a.headers[key], `header ${key} of ${p}`);
          }
          for (const marker of spec.bodyIncludes ?? []) {
            assert.ok(a.body.includes(marker), `reference body has ${marker}`);
            assert.ok(b.body.includes(marker), `our body has ${marker}`);
          }
          if (spec.bodyEqual) assert.equal(b.body.toString("utf8"), a.body.toString("utf8"));
        });
      }

    test("external rewrite is proxied: body decoded, hop-by-hop headers dropped, status kept", async () => {
      for (const p of ["/external/echo/a?x=1", "/external/teapot"]) {
        const [a, b] = await Promise.all([request(ref.base + p), request(ours.base + p)]);
        assert.equal(b.status, a.status, `status of ${p}`);
        assert.equal(b.headers["x-upstream"], "yes");
        assert.equal(a.headers["x-upstream"], "yes");
        // next start passes the gzip body through; we decode it (so a CDN can re-encode it).
        assert.equal(zlib.gunzipSync(a.body).toString("utf8"), b.body.toString("utf8"));
        const echoed = JSON.parse(b.body.toString("utf8"));
        assert.equal(echoed.upstream, true);
        assert.equal(echoed.url, p.slice("/external".length));
        assert.equal(echoed.host, `127.0.0.1:${upstream.port}`);
        assert.equal(b.headers["content-encoding"], undefined);
        assert.equal(a.headers["proxy-authenticate"], "Basic realm=upstream");
        assert.equal(b.headers["proxy-authenticate"], undefined, "hop-by-hop header from upstream");
      }
      const failed = await request(`${ours.base}/external/fail`);
      assert.equal(failed.status, 500);
    });

    test("middleware's external rewrite with a status: the upstream's status and body, as next start", async () => {
      const headers = { "x-upstream-port": String(upstream.port) };
      for (const [p, status] of [
        ["/mw/rewrite-status-external/echo/s", 200],
        ["/mw/rewrite-status-external/teapot", 418],
      ]) {
        const [a, b] = await Promise.all([request(ref.base + p, { headers }), request(ours.base + p, { headers })]);
        // Measured: next start answers with the upstream's status, not middleware's 403.
        assert.equal(a.status, status, `next start: status of ${p}`);
        assert.equal(b.status, a.status, `status of ${p}`);
        assert.equal(b.headers["x-upstream"], "yes");
        assert.equal(b.headers["cache-control"], a.headers["cache-control"], `cache-control of ${p}`);
        assert.equal(JSON.parse(b.body.toString("utf8")).url, p.slice("/mw/rewrite-status-external".length));
      }
    });

    if (name === "next15")
      test("external middleware: answers at the edge or forwards a signed decision the origin trusts", async () => {
        const out = path.join(dir, ".open-next");
        const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
        assert.deepEqual(output.edgeFunctions.middleware, {
          bundle: ".open-next/middleware",
          handler: "handler.handler",
          pathResolver: "pattern-env",
          wrapper: "aws-lambda",
          converter: "aws-cloudfront",
          architectures: ["x86_64"],
        });
        assert.deepEqual(
          output.behaviors.filter((b) => b.edgeFunction === "middleware").map((b) => b.pattern),
          ["_next/data/*", "*"],
        );
        for (const f of [
          "handler.mjs",
          "routing.json",
          "middleware.json",
          "open-next-runtime.linux-x64-gnu.node",
          ".next/server/middleware.js",
        ]) {
          assert.ok(existsSync(path.join(out, "middleware", f)), `middleware/${f} exists`);
        }
        // Lambda@Edge runs on x86_64 only.
        assert.ok(!existsSync(path.join(out, "middleware/open-next-runtime.linux-arm64-gnu.node")));
        // Redirects and middleware's own responses never reach the origin; rewrites do.
        const way = async (p) => (await request(edge.base + p)).headers["x-cf-stand-in"];
        assert.equal(await way("/mw/redirect"), "generated");
        assert.equal(await way("/mw/respond?q=1"), "generated");
        assert.equal(await way("/old-home"), "generated");
        assert.equal(await way("/mw/rewrite"), "forwarded");
        assert.equal(await way("/app-ssg"), "forwarded");
        // External rewrites are fetched at the edge.
        const ext = await request(`${edge.base}/external/echo/a?x=1`);
        assert.equal(ext.headers["x-cf-stand-in"], "generated");
        assert.equal(JSON.parse(ext.body.toString("utf8")).url, "/echo/a?x=1");
        assert.equal((await request(`${edge.base}/external/fail`)).status, 500);

        // What a viewer-request function may not answer (over 40 KB) or cannot see whole
        // (a truncated body) goes on to the origin, which routes it itself.
        const viewer = await startCloudFront(dir, Number(new URL(ours.base).port), { eventType: "viewer-request" });
        try {
          for (const p of ["/mw/big", "/external/big"]) {
            const atOrigin = await request(viewer.base + p);
            assert.equal(atOrigin.status, 200, p);
            assert.equal(atOrigin.headers["x-cf-stand-in"], "forwarded", p);
            const atEdge = await request(edge.base + p);
            assert.equal(atEdge.headers["x-cf-stand-in"], "generated", `${p} (origin-request trigger: 1 MB)`);
            assert.deepEqual(atOrigin.body, atEdge.body, p);
          }
          assert.equal((await request(`${viewer.base}/mw/big`)).body.length, 60_000);
          const small = await request(`${viewer.base}/mw/respond?q=1`);
          assert.equal(small.headers["x-cf-stand-in"], "generated");
          const body = "y".repeat(50_000);
          const post = (base) => request(`${base}/mw/body-length`, { method: "POST", body, headers: { "content-type": "text/plain" } });
          const whole = await post(viewer.base);
          assert.equal(whole.headers["x-cf-stand-in"], "forwarded");
          assert.deepEqual(JSON.parse(whole.body.toString("utf8")), { length: 50_000 }, "middleware read the whole body at the origin");
          assert.equal((await post(edge.base)).headers["x-cf-stand-in"], "generated");
        } finally {
          viewer.stop();
        }

        // The origin takes a decision only with a valid signature of this build's key.
        const key = /routeKey: "([0-9a-f]{64})"/.exec(readFileSync(path.join(out, "middleware/handler.mjs"), "utf8"))?.[1];
        assert.ok(key, "the build put a route key in the middleware bundle");
        // (The server function is minified in this fixture.)
        const serverBundle = readFileSync(path.join(out, "server-functions/default/index.mjs"), "utf8");
        assert.ok(serverBundle.includes(`routeKey:"${key}"`), "the server function verifies with the same key");
        const decision = { resolvedPathname: "/app-ssg", invocationTarget: { pathname: "/app-ssg", query: {} } };
        const value = Buffer.from(JSON.stringify({ url: `${ours.base}/`, decision, internalHeaders: {} })).toString("base64url");
        const sign = (k) => crypto.createHmac("sha256", k).update(value).digest("base64url");
        const send = (sig) => request(`${ours.base}/`, { headers: { "x-opennext-route": value, "x-opennext-route-sig": sig } });
        const signed = await send(sign(key));
        assert.ok(signed.body.includes("marker:app-ssg"), "a signed decision is rendered as decided");
        for (const forged of [sign("0".repeat(64)), "", "x"]) {
          const r = await send(forged);
          assert.equal(r.status, 200);
          assert.ok(!r.body.includes("marker:app-ssg"), "a forged decision is ignored: the request is routed as usual");
        }
      });

    if (name === "next15")
      test("'use cache' through Next 15.5's cacheHandlers interface: kept in the fs-dev cache, expired by revalidateTag", async () => {
        const value = async () => /id="cached">([^<]+)</.exec((await request(`${ours.base}/use-cache`)).body.toString())?.[1];
        const first = await value();
        assert.ok(first);
        assert.equal(await value(), first, "the second request reads the stored entry");
        // The entry is written as the response ends: the client may have the body first.
        const files = await eventually(
          () => readdirSync(path.join(dir, ".open-next/cache", buildId)).filter((f) => f.endsWith(".composable")),
          (found) => found.length > 0,
        );
        assert.equal(files.length, 1, JSON.stringify(files));
        const r = await request(`${ours.base}/api/revalidate-tag?tag=use-cache-tag`, { method: "POST" });
        assert.equal(r.status, 200);
        // Next expires the tag in the route's waitUntil work, which may end after the response.
        const after = await eventually(value, (v) => v !== first, { intervalMs: 100 });
        assert.notEqual(after, first, "expired by the tag (expireTags)");
        assert.equal(await value(), after);
      });

    if (name === "next16")
      test("request.url is the URL the client used (Host, x-forwarded-host/-proto, the port), not localhost:3000", async () => {
        const port = new URL(ours.base).port;
        const seen = async (headers) => JSON.parse((await request(`${ours.base}/api/host?q=1`, { headers })).body.toString()).url;
        // 127.0.0.1 is `localhost` to Next's URL class (next start does the same).
        assert.equal(await seen({}), `http://localhost:${port}/api/host?q=1`);
        assert.equal(await seen({ host: "shop.test:8080" }), "http://shop.test:8080/api/host?q=1");
        assert.equal(
          await seen({ "x-forwarded-host": "www.shop.test", "x-forwarded-proto": "https" }),
          "https://www.shop.test/api/host?q=1",
        );
      });

    if (name === "next16")
      test("external middleware is refused for Node.js proxy.ts, and the previous output is kept", () => {
        const configFile = path.join(dir, "open-next.external.config.ts");
        writeFileSync(configFile, nodeConfig(false).replace("} satisfies", "  middleware: { external: true },\n} satisfies"));
        try {
          const r = runCli(["build", "--skip-next-build", "--config-path", configFile], dir);
          assert.notEqual(r.code, 0);
          assert.match(r.output, /ERR_CONFIG/);
          assert.match(r.output, /`middleware\.external` needs edge-runtime middleware/);
          assert.match(r.output, /proxy\.ts is always Node\.js/);
          assert.ok(existsSync(path.join(dir, ".open-next/server-functions/default/index.mjs")), "the previous build is intact");
          assert.ok(!existsSync(path.join(dir, ".open-next/middleware")));
        } finally {
          rmSync(configFile, { force: true });
        }
      });

    if (existsSync(path.join(dir, "public/img")))
      test("/_next/image: Next's optimizer with the pixel work in Rust, answered as next start (sharp) answers", async () => {
        // next15 has images.formats ["image/avif", "image/webp"], next16 Next's default (WebP only).
        const avif = { accept: "image/avif,image/webp,*/*" };
        const { formats } = JSON.parse(readFileSync(path.join(dir, ".next/required-server-files.json"), "utf8")).config.images;
        const webp = { accept: "image/webp,*/*" };
        const any = { accept: "*/*" };
        const remote = `http://127.0.0.1:${upstream.port}`;
        const img = (url, w, q = 75) => `/_next/image?url=${encodeURIComponent(url)}&w=${w}&q=${q}`;
        const cases = [
          ["JPEG → WebP", img("/img/photo.jpg", 640), webp],
          ["JPEG → JPEG without WebP in Accept", img("/img/photo.jpg", 640), any],
          ["not enlarged past the source", img("/img/photo.jpg", 3840), webp],
          ["EXIF orientation 6 turned upright", img("/img/rotated.jpg", 256), webp],
          ["PNG with alpha → WebP", img("/img/alpha.png", 128), webp],
          ["JPEG → AVIF", img("/img/photo.jpg", 640), avif],
          ["PNG with alpha → AVIF", img("/img/alpha.png", 128), avif],
          ["EXIF orientation 6 turned upright, as AVIF", img("/img/rotated.jpg", 256), avif],
          ["Display P3 JPEG → sRGB", img("/img/p3.jpg", 64), webp],
          ["CMYK JPEG with a print profile → sRGB", img("/img/cmyk.jpg", 64), any],
          ["TIFF (LZW, Display P3) → sRGB WebP", img("/img/p3.tif", 64), webp],
          ["CMYK TIFF (Deflate) with a print profile → sRGB WebP", img("/img/cmyk.tif", 64), webp],
          // AVIF sources (sharp wrote them: 4:2:0, and 4:4:4 with an alpha item), decoded by rav1d.
          ["an .avif source → sRGB WebP", img("/img/photo.avif", 256), webp],
          ["an .avif source with alpha (4:4:4) → sRGB WebP", img("/img/alpha.avif", 128), webp],
          // avifenc wrote these: irot 3 (a quarter turn clockwise); irot 1 then imir 0; a Display P3 ICC
          // profile; a clap crop of 150×100 at (20, 10) out of 240×144.
          ["an .avif source turned by its irot → sRGB WebP", img("/img/turned.avif", 128), webp],
          ["an .avif source turned, then mirrored (irot, imir) → sRGB WebP", img("/img/turned-mirrored.avif", 128), webp],
          ["an .avif source with a Display P3 profile (colr) → sRGB WebP", img("/img/p3.avif", 64), webp],
          ["an .avif source cropped by its clap → sRGB WebP", img("/img/cropped.avif", 128), webp],
          ["PNG stays PNG", img("/img/alpha.png", 128), any],
          ["animated GIF passed through", img("/img/anim.gif", 64), webp],
          ["truncated JPEG: the original is served", img("/img/broken.jpg", 640), webp],
          ["not an image", img("/img/not-an-image.jpg", 640), webp],
          ["SVG without dangerouslyAllowSVG", img("/logo.svg", 64), webp],
          ["missing upstream", img("/img/missing.jpg", 640), webp],
          ["width not in the sizes", img("/img/photo.jpg", 641), webp],
          ["quality not in images.qualities", img("/img/photo.jpg", 640, 80), webp],
          ["no url", "/_next/image?w=640&q=75", webp],
          ["protocol-relative url", img("//example.com/a.jpg", 640), webp],
          ["recursive url", img("/_next/image?url=/img/photo.jpg", 640), webp],
          ["remote host not in remotePatterns", img("https://example.com/a.jpg", 640), webp],
          ["remote image through remotePatterns (upstream max-age kept)", img(`${remote}/remote/photo.jpg`, 640), webp],
          ["remote image behind a redirect", img(`${remote}/remote/moved.jpg`, 256), webp],
          ["remote path outside the pattern's pathname", img(`${remote}/elsewhere/photo.jpg`, 256), webp],
          ["remote answer that is not an image", img(`${remote}/remote/text.jpg`, 256), webp],
        ];
        const headers = ["content-type", "cache-control", "vary", "content-disposition", "content-security-policy"];
        for (const [what, p, h] of cases) {
          const [a, b] = await Promise.all([request(ref.base + p, { headers: h }), request(ours.base + p, { headers: h })]);
          const at = `${what} (${p})`;
          // The remote cases reach the upstream (a 400 on both sides would prove nothing).
          if (/through remotePatterns|behind a redirect/.test(what)) assert.equal(a.status, 200, `next start: ${at}`);
          if (/max-age kept/.test(what)) assert.match(b.headers["cache-control"], /max-age=86400\b/, at);
          assert.equal(b.status, a.status, `status: ${at}: ${b.body.toString().slice(0, 200)}`);
          for (const k of headers) {
            // 404 and 500 answers get OpenNext's no-store (its fixCacheControlForError), as every route's do.
            if (k === "cache-control" && (a.status === 404 || a.status === 500)) continue;
            assert.equal(b.headers[k], a.headers[k], `${k}: ${at}`);
          }
          if (a.status !== 200) {
            assert.equal(b.body.toString(), a.body.toString(), `body: ${at}`);
            continue;
          }
          const [sa, sb] = [imageSize(a.body), imageSize(b.body)];
          assert.ok(sa && sb, `both are images: ${at}`);
          assert.deepEqual(sb, sa, `type and size: ${at}`);
          if (/AVIF/.test(what)) assert.equal(sa.type, formats.includes("image/avif") ? "avif" : "webp", at);
          if (/GIF|original/.test(what)) assert.deepEqual(b.body, a.body, `the original bytes: ${at}`);
          else assert.ok(b.body.length <= a.body.length * 1.25, `${b.body.length} bytes against sharp's ${a.body.length}: ${at}`);
          // Colour: the embedded profile is applied as sharp applies it (without it: 8.8 and 24 levels
          // off on average). CMYK comes closer but not equal (moxcms's and lcms's LUT transforms differ).
          // AVIF: the same picture as sharp's (a wrong matrix, range or chroma siting shows here).
          if (/sRGB|AVIF/.test(what)) {
            const off = await meanPixelDifference(dir, a.body, b.body);
            assert.ok(off < (/CMYK/.test(what) ? 16 : 3), `mean difference ${off.toFixed(2)} from sharp's pixels: ${at}`);
          }
        }
        // Cached on disk as next start caches it: MISS, then HIT with the same bytes.
        // (next start keeps .next/cache/images between runs of the suite.)
        rmSync(path.join(dir, ".next/cache/images"), { recursive: true, force: true });
        const fresh = img("/img/photo.jpg", 128);
        for (const base of [ref.base, ours.base]) {
          const [one, two] = [await request(base + fresh, { headers: webp }), await request(base + fresh, { headers: webp })];
          const who = base === ours.base ? "ours" : "next start";
          assert.deepEqual([one.headers["x-nextjs-cache"], two.headers["x-nextjs-cache"]], ["MISS", "HIT"], `x-nextjs-cache: ${who}`);
          assert.deepEqual(two.body, one.body, `the cached bytes: ${who}`);
          assert.equal(two.headers["cache-control"], one.headers["cache-control"], `cache-control of a hit: ${who}`);
        }
        // The ETag of an answer gets a 304 from the same server.
        const p = img("/img/photo.jpg", 640);
        const first = await request(ours.base + p, { headers: webp });
        assert.ok(first.headers.etag);
        const again = await request(ours.base + p, { headers: { ...webp, "if-none-match": first.headers.etag } });
        assert.equal(again.status, 304);
        assert.equal(again.body.length, 0);
      });

    test("routes are loaded on first request, not at start (routePreloadingBehavior: none)", async () => {
      const port = await freePort();
      const outFile = path.join(dir, ".open-next/loaded-modules.txt");
      const probe = path.join(repoRoot, "__test__/helpers/loaded-modules-probe.cjs");
      const srv = await startServer(
        process.execPath,
        ["--require", probe, path.join(dir, ".open-next/server-functions/default/index.mjs")],
        {
          cwd: dir,
          env: { PORT: String(port), HOST: "127.0.0.1", LOADED_MODULES_OUT: outFile },
          url: `http://127.0.0.1:${port}/`,
        },
      );
      try {
        // Give a start-up preload (which Next runs in the background) time to finish.
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(srv.child.pid, "SIGUSR2");
        for (let i = 0; i < 50 && !existsSync(outFile); i++) await new Promise((r) => setTimeout(r, 100));
        const loaded = readFileSync(outFile, "utf8").split("\n");
        const routeModules = (list) => list.filter((f) => /[\\/]\.next[\\/]server[\\/](app|pages)[\\/].*(page|route|\w)\.js$/.test(f));
        const all = readdirSync(path.join(dir, ".open-next/server-functions/default/.next/server/app"), { recursive: true })
          .map(String)
          .filter((f) => /(^|\/)(page|route)\.js$/.test(f));
        const loadedApp = routeModules(loaded).filter((f) => f.includes(`${path.sep}app${path.sep}`));
        assert.ok(all.length >= 5, `the fixture has ${all.length} app route modules`);
        assert.ok(loadedApp.length >= 1, "the page served was loaded");
        assert.ok(loadedApp.length < all.length / 2, `only the routes requested are loaded (${loadedApp.length} of ${all.length})`);
      } finally {
        srv.stop();
        rmSync(outFile, { force: true });
      }
    });

    test("ISR page revalidates after its revalidate time", { timeout: 60_000 }, async () => {
      const pathOf = existsSync(path.join(dir, "app/app-isr")) ? "/app-isr" : "/pages-isr";
      const time = (body) => /id="time"[^>]*>(?:<!-- -->)?(\d+)/.exec(body.toString())?.[1];
      const first = time((await request(ours.base + pathOf)).body);
      assert.ok(first, "ISR page renders a timestamp");
      await new Promise((r) => setTimeout(r, 6500));
      // The first request after expiry serves stale and triggers revalidation.
      await request(ours.base + pathOf);
      let next;
      for (let i = 0; i < 20 && (!next || next === first); i++) {
        await new Promise((r) => setTimeout(r, 500));
        next = time((await request(ours.base + pathOf)).body);
      }
      assert.notEqual(next, first, "timestamp changed after revalidation");
    });

    /** The two ISR pages, made stale (served, then 6.5 s), and the queue's regeneration request. */
    async function staleIsrPages() {
      const { previewModeId } = JSON.parse(readFileSync(path.join(dir, ".next/prerender-manifest.json"), "utf8")).preview;
      const pages = ["/app-isr", "/pages-isr"];
      await Promise.all(pages.map((p) => request(ours.base + p)));
      await new Promise((r) => setTimeout(r, 6500));
      return { pages, regenerate: { method: "HEAD", headers: { "x-prerender-revalidate": previewModeId, "x-isr": "1" } } };
    }

    test("a queued regeneration that comes while a visitor's request reads the stale entry still regenerates it", {
      timeout: 60_000,
    }, async () => {
      // Next batches concurrent reads of one cache key; joined to the visitor's read,
      // the regeneration got its stale answer and regenerated nothing.
      const { pages, regenerate } = await staleIsrPages();
      for (const p of pages) {
        const [visitor, regeneration] = await Promise.all([request(ours.base + p), request(ours.base + p, regenerate)]);
        assert.equal(visitor.headers["x-nextjs-cache"], "STALE", p);
        assert.equal(regeneration.status, 200, p);
        assert.equal(regeneration.headers["x-nextjs-cache"], "REVALIDATED", p);
      }
    });

    test("two regenerations of one stale page at once each regenerate it and answer REVALIDATED", { timeout: 60_000 }, async () => {
      // Next shares one regeneration between concurrent callers; the second answered
      // STALE before the first had written the page (and, in the same ms, their
      // temporary files collided).
      const { pages, regenerate } = await staleIsrPages();
      for (const p of pages) {
        const answers = await Promise.all([1, 2, 3].map(() => request(ours.base + p, regenerate)));
        assert.deepEqual(
          answers.map((a) => [a.status, a.headers["x-nextjs-cache"]]),
          [1, 2, 3].map(() => [200, "REVALIDATED"]),
          p,
        );
      }
      assert.doesNotMatch(ours.log(), /failed to write cache entry/);
    });

    if (name === "next15")
      test("dangerous.middlewareHeadersOverrideNextConfigHeaders: false and headersAndCookiesPriority", { timeout: 120_000 }, async () => {
        // /mw/header-clash: next.config, middleware and the API route all set x-custom-header
        // and a `clash` cookie. By default the handler wins, then middleware (as next start).
        const def = await request(`${ours.base}/mw/header-clash`);
        assert.equal(def.headers["x-custom-header"], "from-handler");
        const configFile = path.join(dir, "open-next.dangerous.config.ts");
        const build = (dangerous) => {
          writeFileSync(configFile, nodeConfig(true).replace("} satisfies", `  dangerous: ${dangerous},\n} satisfies`));
          const r = runCli(["build", "--skip-next-build", "--config-path", configFile], dir, { E2E_UPSTREAM_PORT: String(upstream.port) });
          assert.equal(r.code, 0, r.output);
        };
        const serve = async () => {
          const port = await freePort();
          const srv = await startServer(process.execPath, [path.join(dir, ".open-next/server-functions/default/index.mjs")], {
            cwd: dir,
            env: { PORT: String(port), HOST: "127.0.0.1" },
            url: `http://127.0.0.1:${port}/`,
          });
          try {
            return await request(`http://127.0.0.1:${port}/mw/header-clash`);
          } finally {
            srv.stop();
          }
        };
        try {
          // Routing headers win over the handler's; next.config's win over middleware's.
          build(`{ middlewareHeadersOverrideNextConfigHeaders: false, headersAndCookiesPriority: () => "middleware" }`);
          let r = await serve();
          assert.ok(r.body.includes("pages-api-clash"));
          assert.equal(r.headers["x-custom-header"], "global", "next.config beats middleware, routing beats the handler");
          assert.equal(r.headers["x-clash"], "from-middleware", "middleware beats the handler");
          assert.equal(r.headers["x-only-middleware"], "yes");
          const cookies = r.headers["set-cookie"];
          assert.match(cookies.at(-1), /^clash=middleware/, `middleware's cookie comes last: ${cookies}`);
          // The priority function sees the event.
          build(`{ headersAndCookiesPriority: (event) => (event.rawPath.startsWith("/mw/") ? "middleware" : "handler") }`);
          r = await serve();
          assert.equal(r.headers["x-custom-header"], "from-middleware", "middleware beats next.config by default");
          assert.equal(r.headers["x-clash"], "from-middleware");
        } finally {
          rmSync(configFile, { force: true });
        }
      });

    test("custom override loaded lazily from a relative file, with an npm package Next does not use", { timeout: 120_000 }, async () => {
      // A package only the override imports: not in Next's trace, so only our config trace can bring it.
      const pkg = path.join(dir, "node_modules/on-test-kv");
      mkdirSync(pkg, { recursive: true });
      writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "on-test-kv", version: "1.0.0", main: "lib/index.js" }));
      mkdirSync(path.join(pkg, "lib"), { recursive: true });
      writeFileSync(
        path.join(pkg, "lib/index.js"),
        `const fs = require("node:fs");
exports.createStore = () => {
  const m = new Map();
  const log = (line) => process.env.KV_LOG && fs.appendFileSync(process.env.KV_LOG, line + "\\n");
  return { get: (k) => (log("get " + k), m.get(k)), set: (k, v) => (log("set " + k), m.set(k, v)) };
};
`,
      );
      mkdirSync(path.join(dir, "test-overrides"), { recursive: true });
      writeFileSync(
        path.join(dir, "test-overrides/kv-cache.ts"),
        `import { createStore } from "on-test-kv";
const store = createStore();
const k = (key: string, type?: string) => (type ?? "cache") + ":" + key;
export default {
  name: "kv-test",
  async get(key: string, type?: string) { const v = store.get(k(key, type)); return v ? { value: v, lastModified: Date.now() } : null; },
  async set(key: string, value: unknown, type?: string) { store.set(k(key, type), value); },
  async delete(_key: string) {},
};
`,
      );
      const configFile = path.join(dir, "open-next.custom.config.ts");
      writeFileSync(
        configFile,
        `import { defineConfig } from "open-next-rs";
export default defineConfig({
  default: {
    override: {
      wrapper: "node",
      converter: "node",
      incrementalCache: () => import("./test-overrides/kv-cache.ts").then((m) => m.default),
      tagCache: "fs-dev",
      queue: "direct",
    },
  },
});
`,
      );
      const outDir = path.join(dir, ".open-next");
      const log = path.join(dir, "kv.log");
      let srv;
      try {
        // A debug build (OpenNext's OPEN_NEXT_DEBUG) also ships the runtime's source map.
        const r = runCli(["build", "--skip-next-build", "--config-path", configFile], dir, { OPEN_NEXT_DEBUG: "true" });
        assert.equal(r.code, 0, r.output);
        const fn = path.join(outDir, "server-functions/default");
        assert.match(readFileSync(path.join(fn, "index.mjs"), "utf8"), /\n\/\/# sourceMappingURL=index\.mjs\.map\n$/);
        const map = JSON.parse(readFileSync(path.join(fn, "index.mjs.map"), "utf8"));
        assert.ok(
          map.sources.some((s) => s.endsWith(path.join("runtime", "server", "main.ts"))),
          map.sources.join(", "),
        );
        assert.ok(existsSync(path.join(fn, "node_modules/on-test-kv/lib/index.js")), "the override's npm package is in the function");
        assert.ok(existsSync(path.join(fn, "node_modules/on-test-kv/package.json")));
        const compiled = readFileSync(path.join(fn, "open-next.config.mjs"), "utf8");
        assert.doesNotMatch(
          compiled,
          /(require|import)\(\s*"open-next-rs"|from\s*"open-next-rs"/,
          "the build tool is not imported at run time",
        );
        assert.ok(!compiled.includes("./test-overrides"), "the relative override is bundled");
        const output = JSON.parse(readFileSync(path.join(outDir, "open-next.output.json"), "utf8"));
        assert.equal(output.origins.default.incrementalCache, "kv-test");
        const port = await freePort();
        srv = await startServer(process.execPath, [path.join(fn, "index.mjs")], {
          cwd: dir,
          env: { PORT: String(port), HOST: "127.0.0.1", KV_LOG: log },
          url: `http://127.0.0.1:${port}/`,
        });
        const res = await request(`http://127.0.0.1:${port}/`);
        assert.equal(res.status, 200);
        const lines = readFileSync(log, "utf8").split("\n");
        assert.ok(
          lines.some((l) => l.startsWith("get ")),
          `the custom cache was read:\n${lines.join("\n")}`,
        );
      } finally {
        srv?.stop();
        for (const p of [pkg, path.join(dir, "test-overrides"), configFile, log]) rmSync(p, { recursive: true, force: true });
      }
    });
  });
}
