// The pieces of external middleware that do not need a Next app: the
// `aws-cloudfront` converter (Lambda@Edge event and result formats), the
// `pattern-env` origin resolver and the signed routing decision. Each runtime
// module is bundled with our bundler and imported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./helpers/util.mjs";

const binding = createRequire(import.meta.url)(path.join(repoRoot, "index.js"));

async function load(rel) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "edge-overrides-"));
  try {
    const file = path.join(dir, "m.mjs");
    writeFileSync(file, binding.bundleSync({ entry: path.join(repoRoot, "runtime", rel) }).code);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cfEvent = (request) => ({ Records: [{ cf: { config: { eventType: "origin-request" }, request } }] });

test("aws-cloudfront: a CloudFront request event becomes an InternalEvent", async () => {
  const { default: converter } = await load("overrides/converters/aws-cloudfront.ts");
  const event = await converter.convertFrom(
    cfEvent({
      clientIp: "203.0.113.1",
      method: "POST",
      uri: "//a/b",
      querystring: "x=1&x=2&y=%20",
      headers: {
        host: [{ key: "Host", value: "shop.example.com" }],
        cookie: [
          { key: "Cookie", value: "a=1" },
          { key: "Cookie", value: "b=2" },
        ],
        accept: [{ key: "Accept", value: "text/html" }],
      },
      body: { data: Buffer.from("hello").toString("base64"), encoding: "base64", action: "read-only", inputTruncated: false },
    }),
  );
  assert.equal(event.url, "https://shop.example.com//a/b?x=1&x=2&y=%20");
  assert.equal(event.rawPath, "//a/b");
  assert.deepEqual(event.query, { x: ["1", "2"], y: " " });
  assert.equal(event.headers.cookie, "a=1; b=2");
  assert.deepEqual(event.cookies, { a: "1", b: "2" });
  assert.equal(event.body.toString(), "hello");
  assert.equal(event.remoteAddress, "203.0.113.1");
  await assert.rejects(converter.convertFrom({}), /not a CloudFront request event/);
});

test("aws-cloudfront: results become generated responses or forwarded requests", async () => {
  const { default: converter } = await load("overrides/converters/aws-cloudfront.ts");
  const generated = await converter.convertTo({
    type: "core",
    statusCode: 307,
    headers: { location: "/x", "set-cookie": ["a=1", "b=2"], "content-length": "2", connection: "close", "x-amz-cf-id": "z" },
    body: Readable.from([Buffer.from("/x")]),
    isBase64Encoded: false,
  });
  assert.equal(generated.status, "307");
  assert.equal(generated.bodyEncoding, "text");
  assert.equal(generated.body, "/x");
  assert.deepEqual(generated.headers["set-cookie"], [
    { key: "set-cookie", value: "a=1" },
    { key: "set-cookie", value: "b=2" },
  ]);
  for (const refused of ["content-length", "connection", "x-amz-cf-id"]) assert.equal(generated.headers[refused], undefined, refused);
  const binary = await converter.convertTo({
    type: "core",
    statusCode: 200,
    headers: { "content-type": "image/png" },
    body: Readable.from([Buffer.from([0, 255])]),
    isBase64Encoded: true,
  });
  assert.equal(binary.bodyEncoding, "base64");
  assert.equal(binary.body, "AP8=");

  const original = cfEvent({
    clientIp: "203.0.113.1",
    method: "GET",
    uri: "/a",
    querystring: "",
    headers: {},
    origin: { custom: { domainName: "old.example", port: 443, protocol: "https", path: "", readTimeout: 30 } },
  });
  const forwarded = await converter.convertTo(
    {
      type: "middleware",
      internalEvent: { method: "GET", url: "https://shop.example.com/a?q=1", headers: { "x-opennext-route": "v", "content-length": "0" } },
      isExternalRewrite: false,
      origin: { host: "fn.lambda-url.example", protocol: "https", customHeaders: { "x-origin-secret": "s" } },
    },
    original,
  );
  assert.equal(forwarded.uri, "/a");
  assert.equal(forwarded.querystring, "q=1");
  assert.equal(forwarded.origin.custom.domainName, "fn.lambda-url.example");
  assert.equal(forwarded.origin.custom.port, 443);
  assert.equal(forwarded.origin.custom.readTimeout, 30, "the origin's other settings are kept");
  assert.deepEqual(forwarded.origin.custom.customHeaders, { "x-origin-secret": [{ key: "x-origin-secret", value: "s" }] });
  assert.deepEqual(forwarded.headers.host, [{ key: "host", value: "fn.lambda-url.example" }]);
  assert.deepEqual(forwarded.headers["x-opennext-route"], [{ key: "x-opennext-route", value: "v" }]);
  assert.ok(forwarded.headers["content-length"], "read-only headers stay on a forwarded request");
  const kept = await converter.convertTo(
    { type: "middleware", internalEvent: { method: "GET", url: "https://h/a", headers: {} }, isExternalRewrite: false, origin: false },
    original,
  );
  assert.equal(kept.origin.custom.domainName, "old.example", "no origin from the resolver: CloudFront's stays");
});

test("pattern-env: split functions by CloudFront pattern, then the image optimizer, then default", async () => {
  const { default: resolver, patternRegex } = await load("overrides/originResolver/pattern-env.ts");
  const origins = {
    default: { host: "default.example", protocol: "https" },
    api: { host: "api.example", protocol: "https" },
    imageOptimizer: { host: "img.example", protocol: "https" },
  };
  process.env.OPEN_NEXT_ORIGIN = JSON.stringify(origins);
  globalThis.openNextConfig = {
    default: {},
    functions: { api: { patterns: ["api/*", "_next/data/*/api/**"] }, orphan: { patterns: ["*"] } },
  };
  try {
    assert.equal((await resolver.resolve("/api/hello")).host, "api.example");
    assert.equal((await resolver.resolve("/api/a/b")).host, "api.example", "* matches across segments, as in CloudFront");
    assert.equal((await resolver.resolve("/apix")).host, "default.example", "the whole path must match");
    assert.equal((await resolver.resolve("/_next/data/id/api/a/b.json")).host, "api.example");
    assert.equal((await resolver.resolve("/x/api/a")).host, "default.example", "patterns start at the root");
    assert.equal((await resolver.resolve("/_next/image?url=x")).host, "img.example");
    assert.equal((await resolver.resolve("/about")).host, "default.example");
    process.env.OPEN_NEXT_ORIGIN = "{}";
    assert.equal(await resolver.resolve("/about"), false, "no origins: CloudFront's own");
    assert.ok(patternRegex("file.?s").test("/file.js"));
    assert.ok(!patternRegex("a.b").test("/axb"), "dots are literal");
  } finally {
    delete process.env.OPEN_NEXT_ORIGIN;
    delete globalThis.openNextConfig;
  }
});

test("routing decisions are signed: any change or another key is refused", async () => {
  const { routeHeaders, verifiedRoute } = await load("routing/route-header.ts");
  const routed = { url: "https://h/a", decision: { resolvedPathname: "/a" }, internalHeaders: { "x-middleware-set-cookie": ["a=1"] } };
  const headers = routeHeaders("k".repeat(64), routed);
  assert.deepEqual(verifiedRoute("k".repeat(64), headers), routed);
  assert.equal(verifiedRoute("j".repeat(64), headers), undefined);
  const tampered = Buffer.from(JSON.stringify({ ...routed, decision: { resolvedPathname: "/admin" } })).toString("base64url");
  assert.equal(verifiedRoute("k".repeat(64), { ...headers, "x-opennext-route": tampered }), undefined);
  assert.equal(verifiedRoute("k".repeat(64), { "x-opennext-route": headers["x-opennext-route"] }), undefined);
});
