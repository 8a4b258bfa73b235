// The server function on AWS Lambda: the Next 16 fixture built with the
// `aws-lambda` wrapper and each API Gateway converter, its handler run by a
// Lambda stand-in (`helpers/lambda.mjs`) and given events in the shapes AWS
// documents (`helpers/aws-events.mjs`).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { cliPath, freePort, hostImageAddon, repoRoot, request, runCli, startServer } from "./helpers/util.mjs";
import http from "node:http";
import { apigwV1Event, apigwV2Event, sqsEvent, startHttpsApi, startLambda } from "./helpers/aws-events.mjs";
import { imageSize } from "./helpers/image-size.mjs";
import { createStack, putItems, startMoto, uploadDir } from "./helpers/moto.mjs";
import { faults, startFaultProxy } from "./helpers/fault-proxy.mjs";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CloudFrontClient, CreateDistributionCommand, GetInvalidationCommand, ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";

const dir = path.join(repoRoot, "__test__/fixtures/next16");
const fnDir = path.join(dir, ".open-next/server-functions/default");
const config = (converter, wrapper = "aws-lambda", preloading = "none") => `export default {
  default: {
    override: { wrapper: "${wrapper}", converter: "${converter}", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" },
    routePreloadingBehavior: "${preloading}",
  },
};
`;

function build(converter, skipNextBuild, wrapper, preloading) {
  if (converter) writeFileSync(path.join(dir, "open-next.config.ts"), config(converter, wrapper, preloading));
  else rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  const r = runCli(["build", ...(skipNextBuild ? ["--skip-next-build"] : [])], dir);
  if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

/**
 * Builds the fixture with `configSource` as its open-next.config.ts (without
 * `next build`), then does what a stack's deployment does on moto: OpenNext's
 * bucket, tag table and queue, with `cache/` uploaded under `_cache`.
 */
async function buildOnMoto(configSource) {
  writeFileSync(path.join(dir, "open-next.config.ts"), configSource);
  const r = runCli(["build", "--skip-next-build"], dir);
  if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
  const moto = await startMoto();
  const env = await createStack(moto);
  await uploadDir(moto, "cache", path.join(dir, ".open-next/cache"), "_cache");
  return { moto, env, buildId: readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim() };
}

/**
 * The image function on moto with `assets/` uploaded as a stack does (under
 * `_assets`), asked for a photo, an EXIF-rotated one, a missing one and a bad
 * width through API Gateway v2 events; each answer is checked.
 */
async function checkImageFunction(moto, env) {
  const out = path.join(dir, ".open-next");
  await uploadDir(moto, "cache", path.join(out, "assets"), "_assets");
  // The function is arm64 (OpenNext's default); on this machine it borrows the x64 addon, as preview lends it.
  const images = await startLambda(path.join(out, "image-optimization-function"), {
    env: { ...env, BUCKET_NAME: "cache", BUCKET_KEY_PREFIX: "_assets", OPEN_NEXT_PREVIEW_ADDONS: hostImageAddon },
  });
  try {
    const ask = async (url, w, accept = "image/avif,image/webp,*/*") => {
      const { result } = await images.invoke(
        apigwV2Event({ target: `/_next/image?url=${encodeURIComponent(url)}&w=${w}&q=75`, headers: { accept } }),
      );
      const body = Buffer.from(result.body ?? "", result.isBase64Encoded ? "base64" : "utf8");
      return { status: result.statusCode, headers: result.headers ?? {}, body };
    };
    const photo = await ask("/img/photo.jpg", 640);
    assert.equal(photo.status, 200, photo.body.toString());
    assert.deepEqual(imageSize(photo.body), { type: "webp", width: 640, height: 427 });
    assert.equal(photo.headers["content-type"], "image/webp");
    assert.equal(photo.headers.vary, "Accept");
    assert.match(photo.headers["cache-control"], /^public, max-age=\d+, must-revalidate$/);
    assert.match(photo.headers["content-disposition"], /filename="photo\.webp"/);
    const upright = await ask("/img/rotated.jpg", 256, "*/*");
    assert.deepEqual(imageSize(upright.body), { type: "jpeg", width: 256, height: 384 });
    const gone = await ask("/img/missing.jpg", 640);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.toString(), '"url" parameter is valid but internal response is invalid');
    const bad = await ask("/img/photo.jpg", 641);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.toString(), '"w" parameter (width) of 641 is not allowed');
    // Failed answers as OpenNext's image function gives them: retried after a minute.
    for (const failed of [gone, bad]) {
      assert.equal(failed.headers["cache-control"], "public,max-age=60,immutable");
      assert.equal(failed.headers.vary, "Accept");
    }
    assert.match(images.log(), /internal image response failed for \/img\/missing\.jpg 404/);
  } finally {
    images.stop();
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const renderTime = (html) => /id="time">(\d+)</.exec(html)?.[1];

/**
 * `'use cache'` (app/use-cache: a force-dynamic page around a cached value
 * tagged `use-cache-tag`) through Next's `cacheHandlers`, between instances
 * `a` and `b`: the value is computed once and shared; `revalidateTag` expires
 * it everywhere, `revalidateTag(tag, "max")` makes it stale (served once, then
 * regenerated), `revalidatePath` expires what that page read. Returns the
 * value last computed.
 */
async function assertUseCacheShared(a, b) {
  const page = async (f) => {
    const r = (await f.invoke(apigwV2Event({ target: "/use-cache" }))).result;
    assert.equal(r.statusCode, 200, r.body);
    return { value: /id="cached">([^<]+)</.exec(r.body)?.[1], time: renderTime(r.body) };
  };
  const post = async (f, target) => {
    const r = (await f.invoke(apigwV2Event({ method: "POST", target }))).result;
    assert.equal(r.statusCode, 200, r.body);
  };
  const first = await page(a);
  assert.ok(first.value, "the page shows the cached value");
  const again = await page(a);
  assert.notEqual(again.time, first.time, "the page itself is rendered per request");
  assert.equal(again.value, first.value, "the 'use cache' value is reused by the same instance");
  assert.equal((await page(b)).value, first.value, "and by another instance");

  await post(b, "/api/revalidate-tag?tag=use-cache-tag");
  const expired = await page(a);
  assert.notEqual(expired.value, first.value, "revalidateTag on b expires the entry for a");
  assert.equal((await page(b)).value, expired.value);

  await post(b, "/api/revalidate-tag?tag=use-cache-tag&profile=max");
  assert.equal((await page(a)).value, expired.value, "a stale entry is served once more");
  const regenerated = await page(a);
  assert.notEqual(regenerated.value, expired.value, "and regenerated in the background of that request");
  assert.equal((await page(b)).value, regenerated.value);

  await post(a, "/api/revalidate-path?path=/use-cache");
  const byPath = await page(b);
  assert.notEqual(byPath.value, regenerated.value, "revalidatePath expires what the page read");
  assert.equal((await page(a)).value, byPath.value);
  // No cache or tag read or write failed on the way.
  for (const f of new Set([a, b])) assert.doesNotMatch(f.log(), /\[open-next\] .*(cannot|failed)/i, f.log());
  return byPath.value;
}

/**
 * `revalidatePath` early in a second, then the page twice: the render after it
 * is cached and served again (HIT), not taken for revalidated once more because
 * S3's `Last-Modified` has whole seconds. The object carries its exact write
 * time as `x-amz-meta-written-at`. (Requests are over a second apart: Next's
 * minimal mode reuses a response for one second.) The tag table is seeded
 * first, as the stack's initializer does, so that the path has its tags.
 */
async function assertCachedAfterRevalidation(fn, moto, target) {
  await putItems(moto, "tags", JSON.parse(readFileSync(path.join(dir, ".open-next/dynamodb-provider/dynamodb-cache.json"), "utf8")));
  const get = async () => (await fn.invoke(apigwV2Event({ target }))).result;
  const before = await get();
  assert.equal(before.statusCode, 200);
  await sleep(1100);
  while (Date.now() % 1000 > 100) await sleep(5);
  const r = (await fn.invoke(apigwV2Event({ method: "POST", target: `/api/revalidate-path?path=${target}` }))).result;
  assert.equal(r.statusCode, 200, r.body);
  const rendered = await get();
  assert.equal(rendered.statusCode, 200);
  assert.notEqual(renderTime(rendered.body), renderTime(before.body), "the page is rendered anew after revalidatePath");
  await sleep(1100);
  const cached = await get();
  assert.equal(cached.headers["x-nextjs-cache"], "HIT");
  assert.equal(renderTime(cached.body), renderTime(rendered.body), "the page rendered after the revalidation is served from the cache");
  const { Contents = [] } = await moto.s3.send(new ListObjectsV2Command({ Bucket: "cache", Prefix: "_cache/" }));
  const key = Contents.map((o) => o.Key).find((k) => k.endsWith(`${target}.cache`));
  const head = await moto.s3.send(new HeadObjectCommand({ Bucket: "cache", Key: key }));
  const writtenAt = Number(head.Metadata?.["written-at"]);
  assert.ok(Math.abs(writtenAt - head.LastModified.getTime()) < 2000, `written-at ${JSON.stringify(head.Metadata)}`);
}

describe("no config: the defaults (aws-lambda, aws-apigw-v2, s3-lite, dynamodb-lite, sqs-lite; the provider on the SDK) on moto", {
  timeout: 600_000,
}, () => {
  let moto;
  let env;
  let fn;
  let api;
  let buildId;
  const out = path.join(dir, ".open-next");
  before(async () => {
    build(undefined, false);
    buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
    moto = await startMoto();
    env = await createStack(moto);
    // What a stack's deployment does: cache/ to `_cache` (the tag seed is the initializer's test).
    await uploadDir(moto, "cache", path.join(out, "cache"), "_cache");
    fn = await startLambda(fnDir, { env });
    api = await startHttpsApi(fn);
  });
  after(() => {
    fn?.stop();
    api?.close();
    moto?.stop();
  });

  test("image function (loader s3, OpenNext's default): Next's optimizer and the Rust stage, images from the assets bucket", async () => {
    const fnFiles = readdirSync(path.join(out, "image-optimization-function")).sort();
    // The image addon only: no Router (nothing is routed there).
    assert.deepEqual(
      fnFiles.filter((f) => !f.endsWith(".node")),
      [".next", "index.mjs", "node_modules", "open-next.config.mjs"],
    );
    // linux-arm64 alone, OpenNext's architecture for it (x64 when no arm64 addon is built here).
    const addons = fnFiles.filter((f) => f.endsWith(".node"));
    const arm64 = existsSync(path.join(repoRoot, "open-next-image.linux-arm64-gnu.node"));
    assert.deepEqual(addons, [`open-next-image.linux-${arm64 ? "arm64" : "x64"}-gnu.node`]);
    const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
    assert.deepEqual(output.origins.imageOptimizer.architectures, [arm64 ? "arm64" : "x86_64"]);
    assert.ok(!existsSync(path.join(out, "image-optimization-function/node_modules/sharp")), "no sharp");
    assert.ok(!existsSync(path.join(fnDir, "open-next-image.linux-x64-gnu.node")), "a Lambda server function carries no image stage");
    await checkImageFunction(moto, env);
  });

  test("every function folder has index.mjs and the config, and only what it needs", () => {
    const only = {
      "revalidation-function": ["index.mjs", "open-next.config.mjs", "prerender-manifest.json"],
      "warmer-function": ["index.mjs", "open-next.config.mjs"],
      "dynamodb-provider": ["dynamodb-cache.json", "index.mjs", "open-next.config.mjs"],
    };
    for (const [name, files] of Object.entries(only)) assert.deepEqual(readdirSync(path.join(out, name)).sort(), files, name);
    // The revalidation function reads only the preview id of the manifest.
    const shipped = JSON.parse(readFileSync(path.join(out, "revalidation-function/prerender-manifest.json"), "utf8"));
    const full = JSON.parse(readFileSync(path.join(dir, ".next/prerender-manifest.json"), "utf8"));
    assert.deepEqual(shipped.preview, full.preview);
    assert.deepEqual(shipped.routes, {});
    for (const f of ["index.mjs", "open-next.config.mjs"]) assert.ok(existsSync(path.join(fnDir, f)), f);
    assert.ok(!existsSync(path.join(fnDir, "node_modules/next/dist/server/capsize-font-metrics.json")), "build-time font metrics stay out");
    const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
    assert.equal(output.additionalProps.revalidationFunction.bundle, ".open-next/revalidation-function");
    assert.equal(output.additionalProps.warmer.bundle, ".open-next/warmer-function");
    assert.equal(output.additionalProps.initializationFunction.bundle, ".open-next/dynamodb-provider");
  });

  test("dynamodb-provider: a CloudFormation Create seeds the tag table and answers SUCCESS; Delete keeps it; a failure answers FAILED", async () => {
    const seed = JSON.parse(readFileSync(path.join(out, "dynamodb-provider/dynamodb-cache.json"), "utf8"));
    assert.ok(seed.length > 0, "the fixture has tags to seed");
    const answers = [];
    const cfn = http.createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        answers.push({ method: req.method, url: req.url, body: JSON.parse(b) });
        res.end();
      });
    });
    await new Promise((r) => cfn.listen(0, "127.0.0.1", r));
    const cfEvent = (RequestType, id) => ({
      RequestType,
      ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:provider",
      ResponseURL: `http://127.0.0.1:${cfn.address().port}/cfn-response?X-Amz-Signature=abc`,
      StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1",
      RequestId: id,
      ResourceType: "Custom::OpenNextTagCache",
      LogicalResourceId: "TagCacheSeed",
      ...(RequestType === "Create" ? {} : { PhysicalResourceId: "dynamodb-cache" }),
      ResourceProperties: { ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:provider", version: "1" },
    });
    const provider = await startLambda(path.join(out, "dynamodb-provider"), { env });
    const broken = await startLambda(path.join(out, "dynamodb-provider"), { env: { ...env, CACHE_DYNAMO_TABLE: "no-such-table" } });
    // The SDK is the Lambda runtime's, not in the bundle: a folder with no SDK to load
    // fails to CloudFormation with the fix, not with a module-not-found crash.
    const bare = mkdtempSync(path.join(os.tmpdir(), "provider-no-sdk-"));
    cpSync(path.join(out, "dynamodb-provider"), bare, { recursive: true });
    const noSdk = await startLambda(bare, { env });
    try {
      const created = await provider.invoke(cfEvent("Create", "r-1"));
      assert.equal(created.status, 200);
      const count = async () => (await moto.ddb.send(new ScanCommand({ TableName: "tags", Select: "COUNT" }))).Count;
      assert.equal(await count(), seed.length);
      assert.equal(answers[0].method, "PUT");
      assert.equal(answers[0].url, "/cfn-response?X-Amz-Signature=abc");
      assert.equal(answers[0].body.Status, "SUCCESS");
      assert.equal(answers[0].body.PhysicalResourceId, "dynamodb-cache");
      assert.equal(answers[0].body.RequestId, "r-1");
      assert.equal(answers[0].body.LogicalResourceId, "TagCacheSeed");
      assert.equal(answers[0].body.Data.items, seed.length);
      await provider.invoke(cfEvent("Delete", "r-2"));
      assert.equal(answers[1].body.Status, "SUCCESS");
      assert.equal(await count(), seed.length);
      const failed = await broken.invoke(cfEvent("Update", "r-3"));
      assert.equal(failed.status, 200, "the failure is reported to CloudFormation, not thrown");
      assert.equal(answers[2].body.Status, "FAILED");
      assert.match(answers[2].body.Reason, /no-such-table/);
      const code = readFileSync(path.join(out, "dynamodb-provider/index.mjs"), "utf8");
      assert.ok(code.length < 16_000 && !/smithy|aws4fetch|AwsClient/.test(code), "neither the SDK nor the signer is bundled");
      await noSdk.invoke(cfEvent("Create", "r-4"));
      assert.equal(answers[3].body.Status, "FAILED");
      assert.match(answers[3].body.Reason, /@aws-sdk\/client-dynamodb.*dynamodb-lite/);
    } finally {
      provider.stop();
      broken.stop();
      noSdk.stop();
      rmSync(bare, { recursive: true, force: true });
      cfn.close();
    }
  });

  test("open-next.output.json has OpenNext's default overrides", () => {
    const output = JSON.parse(readFileSync(path.join(dir, ".open-next/open-next.output.json"), "utf8"));
    const o = output.origins.default;
    assert.deepEqual(
      [o.wrapper, o.converter, o.incrementalCache, o.tagCache, o.queue],
      ["aws-lambda", "aws-apigw-v2", "s3-lite", "dynamodb-lite", "sqs-lite"],
    );
  });

  test("ISR: served from S3, stale after revalidate with one deduplicated SQS message, fresh after the revalidation request", async () => {
    // Requests come through the HTTPS front, so queued revalidations name it as their host.
    const host = `127.0.0.1:${api.port}`;
    const get = async () => (await fn.invoke(apigwV2Event({ target: "/app-isr", host }))).result;
    const first = await get();
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers["x-nextjs-cache"], "HIT");
    assert.match(first.headers["cache-control"], /^s-maxage=[1-5], stale-while-revalidate=2592000$/);
    const built = renderTime(first.body);
    assert.ok(built, "the page shows its render time");

    await sleep(6000);
    const stale = await get();
    const again = await get();
    for (const r of [stale, again]) {
      assert.equal(r.headers["x-nextjs-cache"], "STALE");
      assert.equal(r.headers["cache-control"], "s-maxage=2, stale-while-revalidate=2592000");
      assert.equal(renderTime(r.body), built, "the stale page is served as cached");
    }
    const { Messages = [] } = await moto.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: env.REVALIDATION_QUEUE_URL, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
    );
    assert.equal(Messages.length, 1, "two stale hits, one message (same deduplication id)");
    const body = JSON.parse(Messages[0].Body);
    assert.equal(body.url, "/app-isr");
    assert.equal(body.host, host);
    assert.equal(typeof body.lastModified, "number");
    assert.equal(typeof body.eTag, "string");
    assert.match(Messages[0].Attributes.MessageGroupId, /^revalidate-\d$/);
    assert.match(Messages[0].Attributes.MessageDeduplicationId, /^[0-9a-f]{32}$/);

    // The revalidation function gets the message (and two bad ones) as SQS delivers them,
    // and sends its HEAD request through the HTTPS front to the server function.
    const cacheDir = path.join(out, "cache");
    // Next 16.3.8+ scopes route cache keys (`route-cache/APP_PAGE/<hash>/$/app-isr`).
    const file = readdirSync(cacheDir, { recursive: true })
      .map(String)
      .find((f) => f.endsWith("app-isr.cache"));
    assert.ok(file?.startsWith(`${buildId}/`), file);
    const key = `_cache/${file.split(path.sep).join("/")}`;
    const before = (await moto.s3.send(new HeadObjectCommand({ Bucket: "cache", Key: key }))).LastModified;
    await sleep(1100); // S3 times have second precision
    const revalidation = await startLambda(path.join(out, "revalidation-function"), { env: { ...env, NODE_EXTRA_CA_CERTS: api.certFile } });
    try {
      const unreachable = { MessageId: "m-unreachable", Body: JSON.stringify({ ...body, host: "127.0.0.1:9" }) };
      const unreadable = { MessageId: "m-unreadable", Body: "{not json" };
      const { status, result } = await revalidation.invoke(sqsEvent([Messages[0], unreachable, unreadable]));
      assert.equal(status, 200);
      assert.deepEqual(result, {
        type: "revalidate",
        batchItemFailures: [{ itemIdentifier: "m-unreachable" }, { itemIdentifier: "m-unreadable" }],
      });
      assert.match(revalidation.log(), /revalidation of 127\.0\.0\.1:9\/app-isr \(record m-unreachable\) failed/);
      // Handled: the event source mapping deletes it.
      await moto.sqs.send(new DeleteMessageCommand({ QueueUrl: env.REVALIDATION_QUEUE_URL, ReceiptHandle: Messages[0].ReceiptHandle }));
    } finally {
      revalidation.stop();
    }
    const obj = await moto.s3.send(new GetObjectCommand({ Bucket: "cache", Key: key }));
    assert.ok(obj.LastModified > before, "the regenerated page was written to S3");
    const stored = JSON.parse(await obj.Body.transformToString());
    assert.equal(stored.type, "app");
    const fresh = await get();
    assert.equal(fresh.headers["x-nextjs-cache"], "HIT");
    assert.notEqual(renderTime(fresh.body), built, "the regenerated page is served");
    assert.equal(renderTime(fresh.body), renderTime(stored.html));
    // Every S3, DynamoDB and SQS call on the way succeeded.
    assert.doesNotMatch(fn.log(), /\[open-next\]/, fn.log());
  });

  test("the AWS clients use Node's fetch, not the one Next installs for the app (which never settles while prerendering under cacheComponents)", async () => {
    // When Next installs its fetch, the app gets one that fails at once instead (Next's
    // hangs an uncached request while prerendering, which held 'use cache' regenerations
    // on S3 forever), keeping the `_nextOriginalFetch` Next attaches.
    const preload = path.join(mkdtempSync(path.join(os.tmpdir(), "patched-fetch-")), "preload.cjs");
    writeFileSync(
      preload,
      `let current = globalThis.fetch;
Object.defineProperty(globalThis, "fetch", {
  configurable: true,
  get: () => current,
  set(next) {
    const failing = () => Promise.reject(new Error("the app's fetch was used for platform I/O"));
    current = Object.assign(failing, { _nextOriginalFetch: next._nextOriginalFetch });
  },
});
`,
    );
    const f = await startLambda(fnDir, { env, node: [process.execPath, "--require", preload] });
    try {
      const page = (await f.invoke(apigwV2Event({ target: "/app-isr" }))).result;
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers["x-nextjs-cache"], "HIT", "the page was read from S3");
      const posted = (await f.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr" }))).result;
      assert.equal(posted.statusCode, 200, posted.body);
      assert.doesNotMatch(f.log(), /the app's fetch was used/);
    } finally {
      f.stop();
    }
  });

  test("revalidatePath on one instance: another instance does not serve the old page once the tag table says so", async () => {
    const host = "example.com";
    const get = async (f) => (await f.invoke(apigwV2Event({ target: "/app-isr", host }))).result;
    const other = await startLambda(fnDir, { env });
    try {
      const before = await get(other);
      assert.equal(before.statusCode, 200);
      const shown = renderTime(before.body);
      const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr", host }))).result;
      assert.equal(r.statusCode, 200, r.body);
      const { Items = [] } = await moto.ddb.send(new ScanCommand({ TableName: "tags" }));
      assert.ok(
        Items.some((i) => i.tag.S === `${buildId}/_N_T_/app-isr` && Number(i.revalidatedAt.N) > Date.now() - 60_000),
        "the revalidation was written to the tag table before the invocation returned",
      );
      const after = await get(other);
      assert.equal(after.statusCode, 200);
      assert.notEqual(renderTime(after.body), shown, "the other instance rendered the page anew");
    } finally {
      other.stop();
    }
  });

  test("s3-lite: a page rendered in the same second as its revalidatePath is cached, not revalidated again", async () => {
    await assertCachedAfterRevalidation(fn, moto, "/app-isr");
  });

  test("'use cache': one entry in S3 for every instance, registered in the tag table; revalidateTag (now or with a profile) and revalidatePath reach it", async () => {
    const other = await startLambda(fnDir, { env });
    try {
      const last = await assertUseCacheShared(fn, other);
      const { Contents = [] } = await moto.s3.send(new ListObjectsV2Command({ Bucket: "cache", Prefix: `_cache/${buildId}/` }));
      const objects = Contents.map((o) => o.Key).filter((k) => k.endsWith(".composable"));
      assert.equal(objects.length, 1, JSON.stringify(objects));
      // OpenNext's layout: `<prefix>/<buildId>/<Next's key>.composable`, the key naming the build.
      assert.ok(objects[0].includes(buildId), objects[0]);
      const stored = JSON.parse(
        await (await moto.s3.send(new GetObjectCommand({ Bucket: "cache", Key: objects[0] }))).Body.transformToString(),
      );
      assert.ok(stored.tags.includes("use-cache-tag"), JSON.stringify(stored.tags));
      assert.equal(typeof stored.value, "string");
      assert.ok(stored.value.includes(last), "the entry holds the value last computed");
      // Its tag/path pairs: the path is `<buildId>/_use_cache/<key>`.
      const key = `${buildId}/_use_cache/${objects[0].slice(`_cache/${buildId}/`.length, -".composable".length)}`;
      const { Items = [] } = await moto.ddb.send(new ScanCommand({ TableName: "tags" }));
      const pairs = Items.filter((i) => i.path.S === key).map((i) => i.tag.S);
      for (const tag of ["use-cache-tag", "_N_T_/use-cache"]) assert.ok(pairs.includes(`${buildId}/${tag}`), JSON.stringify(pairs));
    } finally {
      other.stop();
    }
  });

  test("warmer-function: invokes the server function through Lambda's Invoke API with WARM_PARAMS concurrency", async () => {
    const warmer = await startLambda(path.join(out, "warmer-function"), {
      env: {
        ...env,
        AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${fn.port}`,
        WARM_PARAMS: JSON.stringify([{ function: "server", concurrency: 3 }]),
      },
    });
    try {
      const scheduled = {
        version: "0",
        id: "e-1",
        "detail-type": "Scheduled Event",
        source: "aws.events",
        time: new Date().toISOString(),
        resources: [],
        detail: {},
      };
      const { status, result } = await warmer.invoke(scheduled);
      assert.equal(status, 200);
      // One stand-in process serves every call here; on Lambda the overlapping calls land on 3 instances.
      assert.deepEqual(result.original, { type: "warmer", warmed: { server: { sent: 3, answered: 3, instances: 1 } } });
    } finally {
      warmer.stop();
    }
    const bad = await startLambda(path.join(out, "warmer-function"), { env: { ...env, WARM_PARAMS: "[{}]" } });
    try {
      const { status, result } = await bad.invoke({ source: "aws.events" });
      assert.equal(status, 502);
      assert.match(result.errorMessage, /WARM_PARAMS must be a list of \{function: string, concurrency: positive integer\}/);
    } finally {
      bad.stop();
    }
  });

  test("faults: SQS failing loses no revalidation, DynamoDB throttling and S3 SlowDown are retried (bounded) and logged, pages still render", async () => {
    const proxy = await startFaultProxy(moto.endpoint);
    const f = await startLambda(fnDir, { env: { ...env, AWS_ENDPOINT_URL: proxy.endpoint } });
    try {
      const host = "faults.example.com";
      const get = async (target = "/app-isr") => (await f.invoke(apigwV2Event({ target, host }))).result;
      // A fresh S3 copy so the entry goes stale again here.
      await uploadDir(moto, "cache", path.join(out, "cache"), "_cache");
      assert.equal((await get()).headers["x-nextjs-cache"], "HIT");
      await sleep(6000);
      // Received and deleted, as Lambda's event source mapping does (a FIFO group holds back while a message is in flight).
      const drain = async () => {
        const { Messages = [] } = await moto.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: env.REVALIDATION_QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        for (const m of Messages)
          await moto.sqs.send(new DeleteMessageCommand({ QueueUrl: env.REVALIDATION_QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
        return Messages;
      };
      await drain();
      proxy.rule = (c) => (c.target === "AmazonSQS.SendMessage" ? faults.sqsDown : undefined);
      const stale = await get();
      assert.equal(stale.headers["x-nextjs-cache"], "STALE", "the stale page is served while SQS fails");
      assert.equal(proxy.calls["AmazonSQS.SendMessage"], 3, "three attempts, then given up");
      assert.match(f.log(), /failed to queue the revalidation of \/app-isr[\s\S]*SQS SendMessage .* failed: 500 InternalError/);
      assert.equal((await drain()).length, 0);
      proxy.rule = () => undefined;
      assert.equal((await get()).headers["x-nextjs-cache"], "STALE");
      const queued = await drain();
      assert.equal(queued.length, 1, "the next stale hit queued the revalidation");
      assert.equal(JSON.parse(queued[0].Body).url, "/app-isr");

      // DynamoDB throttled on every call: the tag check gives up after 3 attempts and the page is served as cached.
      proxy.calls = {};
      proxy.rule = (c) => (c.target?.startsWith("DynamoDB_") ? faults.ddbThrottled : undefined);
      const throttled = await get();
      assert.equal(throttled.statusCode, 200);
      assert.equal(proxy.calls["DynamoDB_20120810.Query"] % 3, 0);
      assert.match(f.log(), /DynamoDB Query tags path=.* failed: 400 ProvisionedThroughputExceededException/);
      // S3 answering SlowDown twice, then fine: retried and served from the cache.
      proxy.calls = {};
      let slow = 0;
      proxy.rule = (c) => (c.method === "GET" && c.url.startsWith("/cache/") && slow++ < 2 ? faults.s3SlowDown : undefined);
      const retried = await get();
      assert.equal(retried.statusCode, 200);
      assert.ok(["HIT", "STALE"].includes(retried.headers["x-nextjs-cache"]), retried.headers["x-nextjs-cache"]);
      assert.equal(proxy.calls["GET S3"], 3);
      // S3 slower than the per-attempt timeout: three attempts, then the page is rendered without the cache.
      proxy.rule = (c) => (c.method === "GET" && c.url.startsWith("/cache/") ? { delayMs: 8000, status: 200, body: "{}" } : undefined);
      const impatient = await startLambda(fnDir, { env: { ...env, AWS_ENDPOINT_URL: proxy.endpoint, OPEN_NEXT_AWS_TIMEOUT_MS: "400" } });
      try {
        const t = Date.now();
        const slowS3 = (await impatient.invoke(apigwV2Event({ target: "/app-isr", host }))).result;
        assert.equal(slowS3.statusCode, 200);
        assert.ok(renderTime(slowS3.body), "rendered");
        assert.ok(Date.now() - t < 6000, `answered in ${Date.now() - t} ms`);
        assert.match(impatient.log(), /S3 GetObject .*app-isr\.cache failed: no answer within 400 ms .*\(3 attempts\)/);
      } finally {
        impatient.stop();
      }
    } finally {
      f.stop();
      proxy.close();
    }
  });

  test("with S3, DynamoDB and SQS unreachable, pages still render and the log names what failed", async () => {
    const down = await startLambda(fnDir, { env: { ...env, AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
    try {
      const t = Date.now();
      const ssr = (await down.invoke(apigwV2Event({ target: "/app-ssr" }))).result;
      assert.equal(ssr.statusCode, 200);
      const isr = (await down.invoke(apigwV2Event({ target: "/app-isr" }))).result;
      assert.equal(isr.statusCode, 200);
      assert.ok(renderTime(isr.body), "rendered without the cache");
      assert.ok(Date.now() - t < 20_000, "retries are bounded");
      assert.match(down.log(), /S3 GetObject s3:\/\/cache\/_cache\/[^ ]+app-isr\.cache failed/);
      assert.match(down.log(), /\(3 attempts\)/);
    } finally {
      down.stop();
    }
  });
});

describe("the AWS SDK overrides (s3, dynamodb, sqs) on moto", { timeout: 600_000 }, () => {
  let moto;
  let env;
  let fn;
  const out = path.join(dir, ".open-next");
  before(async () => {
    ({ moto, env } = await buildOnMoto(`export default {
  default: { override: { wrapper: "aws-lambda", converter: "aws-apigw-v2", incrementalCache: "s3", tagCache: "dynamodb", queue: "sqs" } },
  initializationFunction: { tagCache: "dynamodb" },
  imageOptimization: { loader: "s3-lite" },
};
`));
    const provider = await startLambda(path.join(out, "dynamodb-provider"), { env });
    try {
      const seeded = await provider.invoke({
        RequestType: "Create",
        StackId: "s",
        RequestId: "r",
        LogicalResourceId: "Seed",
        ResourceType: "Custom::X",
        ResourceProperties: {},
      });
      if (seeded.result.original?.Data?.items === undefined) throw new Error(`seeding failed: ${JSON.stringify(seeded.result)}`);
    } finally {
      provider.stop();
    }
    fn = await startLambda(fnDir, { env });
  });
  after(() => {
    fn?.stop();
    moto?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

  test("image function with loader s3-lite: the same answers, the bucket read with signed fetch", async () => {
    await checkImageFunction(moto, env);
  });

  test("the SDK clients are bundled into the function", () => {
    const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
    const o = output.origins.default;
    assert.deepEqual([o.incrementalCache, o.tagCache, o.queue], ["s3", "dynamodb", "sqs"]);
    const code = readFileSync(path.join(fnDir, "index.mjs"), "utf8");
    for (const c of ["S3Client", "DynamoDBClient", "SQSClient"]) assert.ok(code.includes(c), c);
    assert.ok(!existsSync(path.join(fnDir, "node_modules/@aws-sdk")), "nothing to install");
  });

  test("s3: a page rendered in the same second as its revalidatePath is cached, not revalidated again", async () => {
    await assertCachedAfterRevalidation(fn, moto, "/app-isr");
  });

  test("ISR through S3 and SQS, revalidatePath through DynamoDB", async () => {
    const get = async () => (await fn.invoke(apigwV2Event({ target: "/app-isr" }))).result;
    const first = await get();
    assert.equal(first.headers["x-nextjs-cache"], "HIT");
    await sleep(6000);
    const stale = await get();
    assert.equal(stale.headers["x-nextjs-cache"], "STALE");
    const { Messages = [] } = await moto.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: env.REVALIDATION_QUEUE_URL, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
    );
    assert.equal(Messages.length, 1);
    assert.equal(JSON.parse(Messages[0].Body).url, "/app-isr");
    assert.match(Messages[0].Attributes.MessageGroupId, /^revalidate-\d$/);
    const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr" }))).result;
    assert.equal(r.statusCode, 200);
    const { Items = [] } = await moto.ddb.send(new ScanCommand({ TableName: "tags" }));
    assert.ok(Items.some((i) => i.tag.S.endsWith("/_N_T_/app-isr") && Number(i.revalidatedAt.N) > Date.now() - 60_000));
    const fresh = await get();
    assert.equal(fresh.statusCode, 200);
    assert.notEqual(renderTime(fresh.body), renderTime(first.body));
    assert.doesNotMatch(fn.log(), /\[open-next\]/, fn.log());
  });
});

describe("tagCache dynamodb-nextMode on moto", { timeout: 600_000 }, () => {
  let moto;
  let env;
  let buildId;
  before(async () => {
    ({ moto, env, buildId } = await buildOnMoto(`export default { default: { override: { tagCache: "dynamodb-nextMode" } } };\n`));
  });
  after(() => {
    moto?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

  test("revalidatePath writes one item per tag; another instance then renders the page anew", async () => {
    const a = await startLambda(fnDir, { env });
    const b = await startLambda(fnDir, { env });
    try {
      const get = async (f) => (await f.invoke(apigwV2Event({ target: "/app-isr" }))).result;
      const before = await get(b);
      assert.equal(before.headers["x-nextjs-cache"], "HIT");
      const r = (await a.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr" }))).result;
      assert.equal(r.statusCode, 200);
      const { Items = [] } = await moto.ddb.send(new ScanCommand({ TableName: "tags" }));
      const key = `${buildId}/_tag/_N_T_/app-isr`;
      assert.ok(
        Items.some((i) => i.tag.S === key && i.path.S === key),
        JSON.stringify(Items.map((i) => i.tag.S)),
      );
      const after = await get(b);
      assert.equal(after.statusCode, 200);
      assert.notEqual(renderTime(after.body), renderTime(before.body), "instance b rendered the page anew");
      for (const f of [a, b]) assert.doesNotMatch(f.log(), /\[open-next\]/, f.log());
    } finally {
      a.stop();
      b.stop();
    }
  });

  test("'use cache' is shared by instances and follows revalidateTag and revalidatePath through the tag items", async () => {
    const a = await startLambda(fnDir, { env });
    const b = await startLambda(fnDir, { env });
    try {
      await assertUseCacheShared(a, b);
      const { Items = [] } = await moto.ddb.send(new ScanCommand({ TableName: "tags" }));
      const key = `${buildId}/_tag/use-cache-tag`;
      assert.ok(
        Items.some((i) => i.tag.S === key && i.path.S === key),
        JSON.stringify(Items.map((i) => i.tag.S)),
      );
    } finally {
      a.stop();
      b.stop();
    }
  });
});

describe("cdnInvalidation cloudfront on moto", { timeout: 600_000 }, () => {
  let moto;
  let env;
  let fn;
  let buildId;
  let distribution;
  const cloudfront = () =>
    new CloudFrontClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  /** The paths (sorted) of the invalidations not in `seen`, and the ids of all. */
  const invalidations = async (seen = []) => {
    const cf = cloudfront();
    const list = (await cf.send(new ListInvalidationsCommand({ DistributionId: distribution }))).InvalidationList?.Items ?? [];
    const paths = [];
    for (const { Id } of list.filter((i) => !seen.includes(i.Id))) {
      const inv = await cf.send(new GetInvalidationCommand({ DistributionId: distribution, Id }));
      paths.push(...inv.Invalidation.InvalidationBatch.Paths.Items);
    }
    return { paths: paths.sort(), ids: list.map((i) => i.Id) };
  };
  before(async () => {
    ({ moto, env, buildId } = await buildOnMoto(`export default { default: { override: { cdnInvalidation: "cloudfront" } } };\n`));
    await putItems(moto, "tags", JSON.parse(readFileSync(path.join(dir, ".open-next/dynamodb-provider/dynamodb-cache.json"), "utf8")));
    const created = await cloudfront().send(
      new CreateDistributionCommand({
        DistributionConfig: {
          CallerReference: "open-next-test",
          Comment: "",
          Enabled: true,
          Origins: {
            Quantity: 1,
            Items: [
              {
                Id: "fn",
                DomainName: "fn.lambda-url.us-east-1.on.aws",
                CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only" },
              },
            ],
          },
          DefaultCacheBehavior: { TargetOriginId: "fn", ViewerProtocolPolicy: "redirect-to-https" },
        },
      }),
    );
    distribution = created.Distribution.Id;
    fn = await startLambda(fnDir, { env: { ...env, CLOUDFRONT_DISTRIBUTION_ID: distribution } });
  });
  after(() => {
    fn?.stop();
    moto?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

  test("revalidatePath invalidates the App Router page and its RSC requests", async () => {
    const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr" }))).result;
    assert.equal(r.statusCode, 200, r.body);
    const { paths } = await invalidations();
    assert.deepEqual(paths, ["/app-isr", "/app-isr?_rsc=*"]);
    assert.doesNotMatch(fn.log(), /\[open-next\]/, fn.log());
  });

  test("res.revalidate() invalidates the Pages Router page and its _next/data JSON", async () => {
    const before = (await invalidations()).ids;
    const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/pages-revalidate?path=/pages-isr" }))).result;
    assert.equal(r.statusCode, 200, r.body);
    const { paths } = await invalidations(before);
    assert.deepEqual(paths, [`/_next/data/${buildId}/pages-isr.json*`, "/pages-isr"]);
  });

  test("a tag only 'use cache' entries carry invalidates nothing: the CDN does not hold them", async () => {
    const page = (await fn.invoke(apigwV2Event({ target: "/use-cache" }))).result;
    assert.equal(page.statusCode, 200);
    const before = (await invalidations()).ids;
    const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-tag?tag=use-cache-tag" }))).result;
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((await invalidations(before)).ids, before);
  });

  test("CloudFront failing: the revalidation still stands and the log names what was not invalidated", async () => {
    const broken = await startLambda(fnDir, { env: { ...env, CLOUDFRONT_DISTRIBUTION_ID: "ENOSUCHDIST" } });
    try {
      const get = async () => (await broken.invoke(apigwV2Event({ target: "/app-isr" }))).result;
      const first = await get();
      const r = (await broken.invoke(apigwV2Event({ method: "POST", target: "/api/revalidate-path?path=/app-isr" }))).result;
      assert.equal(r.statusCode, 200, r.body);
      assert.notEqual(renderTime((await get()).body), renderTime(first.body), "the page was revalidated");
      assert.match(broken.log(), /cdnInvalidation cloudfront: cannot invalidate \/app-isr.*CloudFront CreateInvalidation ENOSUCHDIST/s);
    } finally {
      broken.stop();
    }
  });
});

describe("incrementalCache multi-tier-ddb-s3 on moto", { timeout: 600_000 }, () => {
  let moto;
  let env;
  before(async () => {
    ({ moto, env } = await buildOnMoto(`export default { default: { override: { incrementalCache: "multi-tier-ddb-s3" } } };\n`));
  });
  after(() => {
    moto?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

  test("an instance serves from memory while the metadata says nothing changed, and reads S3 again after another instance wrote", async () => {
    const proxy = await startFaultProxy(moto.endpoint);
    const a = await startLambda(fnDir, { env: { ...env, AWS_ENDPOINT_URL: proxy.endpoint } });
    const b = await startLambda(fnDir, { env });
    try {
      const get = async () => (await a.invoke(apigwV2Event({ target: "/app-isr" }))).result;
      const first = await get();
      const second = await get();
      assert.equal(second.headers["x-nextjs-cache"], "HIT");
      assert.equal(renderTime(second.body), renderTime(first.body));
      assert.equal(proxy.calls["GET S3"], 1, "the second request was served from memory");
      assert.equal(proxy.calls["DynamoDB_20120810.GetItem"], 1, "after checking the metadata item");
      await sleep(20);
      // Instance b regenerates the page on demand (res.revalidate()) and writes it to S3.
      const regen = await b.invoke(apigwV2Event({ method: "POST", target: "/api/pages-revalidate?path=/app-isr" }));
      assert.equal(regen.result.statusCode, 200, regen.result.body);
      const after = await get();
      assert.equal(proxy.calls["GET S3"], 2, "instance a read the regenerated page from S3");
      assert.notEqual(renderTime(after.body), renderTime(first.body));
      for (const f of [a, b]) assert.doesNotMatch(f.log(), /\[open-next\]/, f.log());
    } finally {
      a.stop();
      b.stop();
      proxy.close();
    }
  });
});

describe("aws-lambda + aws-apigw-v2", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v2", true);
    fn = await startLambda(fnDir, { env: { OPEN_NEXT_DEBUG: "1" } });
  });
  after(() => fn?.stop());

  test("the require map: Next's modules are found without a search, and a wrong entry is caught by the check", async () => {
    const mapFile = "open-next.resolutions.json";
    const map = JSON.parse(readFileSync(path.join(fnDir, mapFile), "utf8"));
    assert.equal(map.v, 1);
    assert.equal(map.dirs[""]["next/dist/server/next-server.js"], "node_modules/next/dist/server/next-server.js");
    assert.equal(map.dirs["node_modules/next/dist/server"]["./base-server"], "node_modules/next/dist/server/base-server.js");
    // The instance started above (with the check on) served pages: the map agreed with Node.
    const ok = (await fn.invoke(apigwV2Event({ target: "/" }))).result;
    assert.equal(ok.statusCode, 200);
    assert.match(fn.log(), /require map: \d+ directories/);
    // Node preserving symlinks names modules by their links: the map (real paths) stays unused.
    const links = await startLambda(fnDir, { env: { OPEN_NEXT_DEBUG: "1", NODE_PRESERVE_SYMLINKS: "1" } });
    try {
      assert.equal((await links.invoke(apigwV2Event({ target: "/" }))).result.statusCode, 200);
      assert.doesNotMatch(links.log(), /require map/);
    } finally {
      links.stop();
    }
    // A copy whose map sends base-server elsewhere: the check names the entry and both answers.
    const copy = mkdtempSync(path.join(os.tmpdir(), "on-require-map-"));
    try {
      cpSync(fnDir, copy, { recursive: true, verbatimSymlinks: true });
      map.dirs["node_modules/next/dist/server"]["./base-server"] = "node_modules/next/dist/server/render.js";
      writeFileSync(path.join(copy, mapFile), JSON.stringify(map));
      // The function fails to start (as a Lambda init error), saying why.
      await assert.rejects(
        startLambda(copy),
        /open-next\.resolutions\.json: require\("\.\/base-server"\) from .*next-server\.js maps to .*render\.js, Node resolves .*base-server\.js/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test("open-next.output.json names the overrides; no self-hosted assets in the function", () => {
    const output = JSON.parse(readFileSync(path.join(dir, ".open-next/open-next.output.json"), "utf8"));
    assert.equal(output.origins.default.wrapper, "aws-lambda");
    assert.equal(output.origins.default.converter, "aws-apigw-v2");
    assert.equal(output.origins.default.handler, "index.handler");
    assert.ok(!existsSync(path.join(fnDir, "public")), "public/ is served from S3, not the function");
  });

  test("'use cache' on the fs-dev caches: stored under cache/<buildId>/ as a .composable file, revalidated through the tag file", async () => {
    const buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
    const composableFiles = () => readdirSync(path.join(dir, ".open-next/cache", buildId)).filter((f) => f.endsWith(".composable"));
    for (const f of composableFiles()) rmSync(path.join(dir, ".open-next/cache", buildId, f));
    await assertUseCacheShared(fn, fn);
    assert.equal(composableFiles().length, 1, JSON.stringify(composableFiles()));
  });

  test("ISR regeneration keeps the data cache: the page is new, its unstable_cache and force-cache fetch values are not", async () => {
    let hits = 0;
    const upstream = http.createServer((_req, res) => res.end(`upstream-${++hits}`));
    await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
    const f = await startLambda(fnDir, { env: { ISR_DATA_URL: `http://127.0.0.1:${upstream.address().port}/data` } });
    const text = (html, id) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1];
    const get = async () => {
      const r = (await f.invoke(apigwV2Event({ target: "/isr-data" }))).result;
      return {
        cache: r.headers["x-nextjs-cache"],
        cached: text(r.body, "cached"),
        fetched: text(r.body, "fetched"),
        time: renderTime(r.body),
      };
    };
    // Past `revalidate` (3 s) a hit is STALE and queues the regeneration (the `direct` queue:
    // done before the invocation returns); the next hit is the regenerated page.
    const regenerated = async (before) => {
      await sleep(3200);
      assert.equal((await get()).cache, "STALE");
      const after = await get();
      assert.equal(after.cache, "HIT");
      assert.notEqual(after.time, before.time, "the page was rendered again");
      return after;
    };
    try {
      const built = await get();
      assert.ok(built.cached, "the build's entry has the unstable_cache value");
      const first = await regenerated(built);
      assert.equal(first.cached, built.cached, "unstable_cache (revalidate: false) was read, not run again");
      assert.equal(first.fetched, "upstream-1");
      const second = await regenerated(first);
      assert.equal(second.cached, built.cached);
      assert.equal(second.fetched, "upstream-1", "the force-cache fetch came from the fetch cache");
      assert.equal(hits, 1);
      assert.doesNotMatch(f.log(), /\[open-next\]/, f.log());
    } finally {
      f.stop();
      upstream.close();
    }
  });

  test("res.revalidate() in a Pages API route regenerates the page", async () => {
    const get = async () => (await fn.invoke(apigwV2Event({ target: "/pages-isr" }))).result;
    const before = await get();
    const r = (await fn.invoke(apigwV2Event({ method: "POST", target: "/api/pages-revalidate?path=/pages-isr" }))).result;
    assert.equal(r.statusCode, 200, r.body);
    const after = await get();
    assert.equal(after.headers["x-nextjs-cache"], "HIT");
    assert.notEqual(renderTime(after.body), renderTime(before.body));
  });

  test("request.url is the URL the client used: the API's or the forwarded host, https", async () => {
    const url = async (event) => JSON.parse((await fn.invoke(event)).result.body);
    assert.deepEqual(await url(apigwV2Event({ target: "/api/host?x=1", host: "example.com" })), {
      url: "https://example.com/api/host?x=1",
      nextUrl: "https://example.com/api/host?x=1",
    });
    const forwarded = await url(apigwV2Event({ target: "/api/host", headers: { "x-forwarded-host": "www.shop.test" } }));
    assert.equal(forwarded.url, "https://www.shop.test/api/host");
  });

  test("a page: status, headers, HTML body", async () => {
    const { status, result } = await fn.invoke(apigwV2Event({ target: "/app-ssr" }));
    assert.equal(status, 200);
    assert.equal(result.statusCode, 200);
    assert.equal(result.isBase64Encoded, false);
    assert.match(result.headers["content-type"], /^text\/html/);
    assert.equal(result.headers["x-custom-header"], "global");
    assert.ok(result.body.includes("marker:app-ssr"), result.body.slice(0, 200));
    assert.deepEqual(result.cookies, []);
  });

  test("repeated query keys, request cookies and headers reach the route", async () => {
    const { result } = await fn.invoke(
      apigwV2Event({ target: "/api/hello?x=1&x=2&y=%20z", cookies: ["a=1", "b=two"], headers: { "x-test-header": "h" } }),
    );
    assert.equal(result.statusCode, 200);
    const json = JSON.parse(result.body);
    assert.equal(json.marker, "pages-api-hello");
    assert.deepEqual(json.query, { x: ["1", "2"], y: " z" });
  });

  test("a base64 request body arrives as bytes", async () => {
    const { result } = await fn.invoke(
      apigwV2Event({ method: "POST", target: "/api/echo", body: "héllo wörld", base64: true, headers: { "content-type": "text/plain" } }),
    );
    assert.equal(result.statusCode, 200);
    assert.equal(JSON.parse(result.body).body, "héllo wörld");
  });

  test("a binary response is base64, byte for byte", async () => {
    const { result } = await fn.invoke(apigwV2Event({ target: "/api/bytes?png=1" }));
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers["content-type"], "image/png");
    assert.equal(result.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(result.body, "base64"), PNG);
  });

  test("several Set-Cookie headers come back as separate cookies", async () => {
    const { result } = await fn.invoke(apigwV2Event({ target: "/mw/cookie" }));
    assert.equal(result.statusCode, 200);
    assert.deepEqual(
      result.cookies.map((c) => c.split(";")[0]),
      ["mw-cookie=yes", "mw-other=two"],
    );
    assert.equal(result.headers["set-cookie"], undefined);
  });

  test("redirects carry Location", async () => {
    const { result } = await fn.invoke(apigwV2Event({ target: "/old-home" }));
    assert.equal(result.statusCode, 308);
    assert.equal(result.headers.location, "/");
  });

  test("malformed events get a 400 and the instance keeps serving", async () => {
    for (const bad of [
      {},
      { rawPath: "/x" },
      apigwV2Event({ target: "/app-ssr", headers: { "x-bad": "a\nb" } }),
      apigwV2Event({ target: "/app-ssr", host: "bad host" }),
    ]) {
      const { status, result } = await fn.invoke(bad);
      assert.equal(status, 200, "no invocation error");
      assert.equal(result.statusCode, 400, JSON.stringify(bad).slice(0, 120));
      assert.match(result.body, /aws-apigw-v2/);
    }
    const bad = await fn.invoke(apigwV2Event({ target: "/app-dyn/%E0%A4%A" }));
    assert.equal(bad.result.statusCode, 400);
    const { result } = await fn.invoke(apigwV2Event({ target: "/app-ssr" }));
    assert.equal(result.statusCode, 200);
  });

  test("a buffered response over 6 MB is a 500 naming the route and the fix", async () => {
    const { status, result } = await fn.invoke(apigwV2Event({ target: "/api/bytes?n=7000000" }));
    assert.equal(status, 200);
    assert.equal(result.statusCode, 500);
    assert.match(result.body, /GET \/api\/bytes/);
    assert.match(result.body, /aws-lambda-streaming/);
    assert.match(fn.log(), /over Lambda's 6 MB limit/);
    const small = await fn.invoke(apigwV2Event({ target: "/api/bytes?n=5000000" }));
    assert.equal(small.result.statusCode, 200);
    assert.equal(small.result.body.length, 5_000_000);
  });

  test("warmer events are answered without rendering, by the same instance", async () => {
    const event = { type: "warmer", warmerId: "warmer-1", index: 0, concurrency: 1, delay: 50 };
    const a = (await fn.invoke(event)).result;
    const b = (await fn.invoke(event)).result;
    assert.equal(a.type, "warmer");
    assert.match(a.serverId, /^server-/);
    assert.equal(a.serverId, b.serverId);
    assert.doesNotMatch(fn.log(), /preloaded the route entries/, "routePreloadingBehavior none");
  });
});

describe("aws-lambda + aws-apigw-v1", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v1", true);
    fn = await startLambda(fnDir);
  });
  after(() => fn?.stop());

  test("multi-value query and headers in, multi-value Set-Cookie out", async () => {
    const { result } = await fn.invoke(apigwV1Event({ target: "/api/hello?x=1&x=2", headers: { Cookie: ["a=1", "b=2"] } }));
    assert.equal(result.statusCode, 200);
    assert.deepEqual(JSON.parse(result.body).query, { x: ["1", "2"] });
    const cookie = (await fn.invoke(apigwV1Event({ target: "/mw/cookie" }))).result;
    assert.deepEqual(
      cookie.multiValueHeaders["set-cookie"].map((c) => c.split(";")[0]),
      ["mw-cookie=yes", "mw-other=two"],
    );
  });

  test("base64 bodies both ways", async () => {
    const post = (
      await fn.invoke(
        apigwV1Event({ method: "POST", target: "/api/echo", body: "ünïcode", base64: true, headers: { "Content-Type": "text/plain" } }),
      )
    ).result;
    assert.equal(JSON.parse(post.body).body, "ünïcode");
    const png = (await fn.invoke(apigwV1Event({ target: "/api/bytes?png=1" }))).result;
    assert.equal(png.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(png.body, "base64"), PNG);
  });

  test("an HTTP API event is a 400 for the REST converter, the next REST event is served", async () => {
    const { result } = await fn.invoke(apigwV2Event({ target: "/app-ssr" }));
    assert.equal(result.statusCode, 400);
    assert.match(result.body, /aws-apigw-v1/);
    assert.equal((await fn.invoke(apigwV1Event({ target: "/app-ssr" }))).result.statusCode, 200);
  });
});

describe("aws-lambda-streaming + aws-apigw-v2 (Lambda response streaming)", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v2", true, "aws-lambda-streaming", "onWarmerEvent");
    fn = await startLambda(fnDir, { env: { OPEN_NEXT_DEBUG: "1" } });
  });
  after(() => fn?.stop());

  test("a Suspense page streams: prelude first, the shell a second before the slow part", async () => {
    const r = await fn.invokeStream(apigwV2Event({ target: "/app-stream" }));
    assert.equal(r.status, 200);
    assert.equal(r.contentType, "application/vnd.awslambda.http-integration-response");
    assert.equal(r.prelude.statusCode, 200);
    assert.match(r.prelude.headers["content-type"], /^text\/html/);
    assert.equal(r.prelude.headers["content-encoding"], undefined);
    const shell = r.chunks.find((c) => c.data.includes("marker:app-stream"));
    const slow = r.chunks.find((c) => c.data.includes("marker:slow-done"));
    assert.ok(shell && slow, "both parts arrive");
    assert.ok(slow.at - shell.at >= 700, `the shell came ${slow.at - shell.at} ms before the slow part`);
    assert.ok(r.endedAt - slow.at < 500, "the invocation ends with the stream");
  });

  test("compressed from Accept-Encoding, still streaming; binary types are not compressed", async () => {
    const r = await fn.invokeStream(apigwV2Event({ target: "/app-stream", headers: { "accept-encoding": "gzip, deflate, br" } }));
    assert.equal(r.prelude.headers["content-encoding"], "br");
    assert.match(r.prelude.headers.vary, /Accept-Encoding/);
    const html = zlib.brotliDecompressSync(r.body).toString("utf8");
    assert.ok(html.includes("marker:app-stream") && html.includes("marker:slow-done"));
    const first = r.chunks[0];
    const last = r.chunks[r.chunks.length - 1];
    assert.ok(last.at - first.at >= 700, "flushed per write, so the shell is not held back");
    const png = await fn.invokeStream(apigwV2Event({ target: "/api/bytes?png=1", headers: { "accept-encoding": "gzip" } }));
    assert.equal(png.prelude.headers["content-encoding"], undefined);
    assert.deepEqual(png.body, PNG);
  });

  test("a queued regeneration is answered once done: the stale page is written again, then REVALIDATED goes out", async () => {
    const previewModeId = JSON.parse(readFileSync(path.join(dir, ".next/prerender-manifest.json"), "utf8")).preview.previewModeId;
    const file = readdirSync(path.join(dir, ".open-next/cache"), { recursive: true })
      .map(String)
      .find((f) => f.endsWith("isr-data.cache"));
    const before = readFileSync(path.join(dir, ".open-next/cache", file), "utf8");
    // Past `revalidate` (3 s) the entry is stale, so the request regenerates it. (No stale hit
    // first: the regeneration the `direct` queue runs for it goes on after that hit's stream
    // has ended, while the invocation finishes, and would race this one.)
    await sleep(3200);
    const r = await fn.invokeStream(
      apigwV2Event({ method: "HEAD", target: "/isr-data", headers: { "x-prerender-revalidate": previewModeId, "x-isr": "1" } }),
    );
    assert.equal(r.prelude.statusCode, 200);
    assert.equal(r.prelude.headers["x-nextjs-cache"], "REVALIDATED");
    assert.equal(r.body.length, 0);
    assert.notEqual(readFileSync(path.join(dir, ".open-next/cache", file), "utf8"), before, "the entry was written again");
    const after = await fn.invokeStream(apigwV2Event({ target: "/isr-data" }));
    assert.equal(after.prelude.headers["x-nextjs-cache"], "HIT");
  });

  test("empty bodies, cookies, bad events and warmer events end the invocation", async () => {
    const options = await fn.invokeStream(apigwV2Event({ method: "OPTIONS", target: "/api/echo" }));
    assert.equal(options.prelude.statusCode, 204);
    assert.equal(options.body.length, 0);
    const cookie = await fn.invokeStream(apigwV2Event({ target: "/mw/cookie" }));
    assert.deepEqual(
      cookie.prelude.cookies.map((c) => c.split(";")[0]),
      ["mw-cookie=yes", "mw-other=two"],
    );
    const bad = await fn.invokeStream({ rawPath: "/x" });
    assert.equal(bad.prelude.statusCode, 400);
    assert.match(bad.body.toString(), /aws-apigw-v2/);
    assert.doesNotMatch(fn.log(), /preloaded the route entries/);
    const warm = await fn.invokeStream({ type: "warmer", warmerId: "w", index: 0, concurrency: 1, delay: 10 });
    assert.equal(JSON.parse(warm.raw.toString()).type, "warmer");
    assert.match(fn.log(), /preloaded the route entries in \d+ ms/, "routePreloadingBehavior onWarmerEvent");
  });
});

describe("aws-lambda + aws-cloudfront (the server function as a Lambda@Edge origin-request function)", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-cloudfront", true);
    fn = await startLambda(fnDir);
  });
  after(() => fn?.stop());

  // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html
  const cfEvent = (uri, querystring = "", headers = {}) => ({
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: "d111111abcdef8.cloudfront.net",
            distributionId: "EDFDVBD6EXAMPLE",
            eventType: "origin-request",
            requestId: "r-1",
          },
          request: {
            clientIp: "203.0.113.178",
            headers: {
              host: [{ key: "Host", value: "d111111abcdef8.cloudfront.net" }],
              "user-agent": [{ key: "User-Agent", value: "Amazon CloudFront" }],
              ...headers,
            },
            method: "GET",
            querystring,
            uri,
            origin: {
              custom: {
                domainName: "example.org",
                port: 443,
                protocol: "https",
                path: "",
                sslProtocols: ["TLSv1.2"],
                readTimeout: 30,
                keepaliveTimeout: 5,
                customHeaders: {},
              },
            },
          },
        },
      },
    ],
  });

  test("request.url names the viewer's host (the Host CloudFront forwards, or x-forwarded-host), over https", async () => {
    const url = async (headers) => JSON.parse((await fn.invoke(cfEvent("/api/host", "a=1", headers))).result.body).url;
    assert.equal(await url({}), "https://d111111abcdef8.cloudfront.net/api/host?a=1");
    assert.equal(
      await url({ "x-forwarded-host": [{ key: "X-Forwarded-Host", value: "www.example.com" }] }),
      "https://www.example.com/api/host?a=1",
    );
  });

  test("pages, cookies and binary bodies as CloudFront generated responses", async () => {
    const page = (await fn.invoke(cfEvent("/app-ssr"))).result;
    assert.equal(page.status, "200");
    assert.equal(page.bodyEncoding, "text");
    assert.ok(page.body.includes("marker:app-ssr"));
    assert.equal(page.headers["content-type"][0].value.split(";")[0], "text/html");
    assert.equal(page.headers["content-length"], undefined, "read-only on a generated response");
    const q = (await fn.invoke(cfEvent("/api/hello", "x=1&x=2", { cookie: [{ key: "Cookie", value: "a=1; b=2" }] }))).result;
    assert.deepEqual(JSON.parse(q.body).query, { x: ["1", "2"] });
    const cookie = (await fn.invoke(cfEvent("/mw/cookie"))).result;
    assert.deepEqual(
      cookie.headers["set-cookie"].map((h) => h.value.split(";")[0]),
      ["mw-cookie=yes", "mw-other=two"],
    );
    const png = (await fn.invoke(cfEvent("/api/bytes", "png=1"))).result;
    assert.equal(png.bodyEncoding, "base64");
    assert.deepEqual(Buffer.from(png.body, "base64"), PNG);
    const bad = (await fn.invoke({ Records: [] })).result;
    assert.equal(bad.status, "400");
  });
});

/** GET `url`; resolves with the status, headers and each body chunk with the ms since the request when it came. */
function timedGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    http
      .get(url, { headers }, (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push({ at: Date.now() - t0, data: d }));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, chunks }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/**
 * `open-next preview` of the build in `cwd` on a free loopback port, started once
 * `readyPath` answers; `.port` and `.base` are where it listens.
 */
async function startPreview(cwd, readyPath = "/api/static", timeoutMs = 120_000) {
  const port = await freePort();
  const preview = await startServer(process.execPath, [cliPath, "preview", "--port", String(port)], {
    cwd,
    url: `http://127.0.0.1:${port}${readyPath}`,
    timeoutMs,
  });
  return Object.assign(preview, { port, base: `http://127.0.0.1:${port}` });
}

describe("open-next preview of a Lambda build", { timeout: 600_000 }, () => {
  test("the default AWS build: a local moto with the cache uploaded and tags seeded, stale pages revalidated by the real revalidation function", async () => {
    build(undefined, true);
    const preview = await startPreview(dir);
    try {
      const { base } = preview;
      const first = await request(`${base}/app-isr`);
      assert.equal(first.status, 200);
      assert.ok(["HIT", "STALE"].includes(first.headers["x-nextjs-cache"]), "served from the S3 cache");
      const shown = renderTime(first.body.toString());
      let fresh;
      for (let i = 0; i < 40 && !fresh; i++) {
        await sleep(500);
        const r = await request(`${base}/app-isr`);
        if (r.headers["x-nextjs-cache"] === "HIT" && renderTime(r.body.toString()) !== shown) fresh = r;
      }
      assert.ok(fresh, `a regenerated page was served within 20 s:\n${preview.log()}`);
      assert.match(
        preview.log(),
        /local S3\/DynamoDB\/SQS \(moto\) on http:\/\/127\.0\.0\.1:\d+: \d+ cache files, \d+ assets, \d+ tag items/,
      );
      // The image function reads the assets uploaded to moto.
      const image = await request(`${base}/_next/image?url=%2Fimg%2Falpha.png&w=128&q=75`, { headers: { accept: "image/webp" } });
      assert.equal(image.status, 200, image.body.toString());
      assert.deepEqual(imageSize(image.body), { type: "webp", width: 128, height: 96 });
      assert.match(preview.log(), /revalidated 1 of 1 queued page/);
    } finally {
      preview.stop();
    }
  });

  test("preview of a build outside any node_modules with the AWS SDK: preview provides the SDK, as Lambda's runtime does", async () => {
    build(undefined, true);
    const away = mkdtempSync(path.join(os.tmpdir(), "on-preview-"));
    try {
      cpSync(path.join(dir, ".open-next"), path.join(away, ".open-next"), { recursive: true });
      const preview = await startPreview(away);
      try {
        // The image function's `s3` loader imports @aws-sdk/client-s3, which its bundle leaves to the runtime.
        const image = await request(`${preview.base}/_next/image?url=%2Fimg%2Falpha.png&w=128&q=75`, {
          headers: { accept: "image/webp" },
        });
        assert.equal(image.status, 200, `${image.body}\n${preview.log()}`);
        assert.deepEqual(imageSize(image.body), { type: "webp", width: 128, height: 96 });
      } finally {
        preview.stop();
      }
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  });

  test("the streaming wrapper with the AWS caches on moto (the AWS SDK's own `awslambda` global is completed, not kept as is)", async () => {
    // OpenNext's app-router example config: aws-lambda-streaming, s3-lite, dynamodb-lite, sqs-lite.
    writeFileSync(
      path.join(dir, "open-next.config.ts"),
      `export default { default: { override: { wrapper: "aws-lambda-streaming" } } };\n`,
    );
    const r = runCli(["build", "--skip-next-build"], dir);
    assert.equal(r.code, 0, r.output);
    const preview = await startPreview(dir);
    try {
      assert.match(preview.log(), /local S3\/DynamoDB\/SQS \(moto\)/);
      const page = await timedGet(`${preview.base}/app-stream`);
      assert.equal(page.status, 200);
      assert.ok(Buffer.concat(page.chunks.map((c) => c.data)).includes("marker:slow-done"));
    } finally {
      preview.stop();
      rmSync(path.join(dir, "open-next.config.ts"), { force: true });
    }
  });

  test("requests become API Gateway events for the streaming handler; the shell streams before the slow part; assets come from assets/", async () => {
    build("aws-apigw-v2", true, "aws-lambda-streaming");
    const preview = await startPreview(dir, "/api/static", 60_000);
    try {
      const { base, port } = preview;
      // request.url is what the client asked for: preview's host (127.0.0.1 is `localhost` to Next, as
      // with next start), port and scheme, or the Host a client or proxy sent.
      const seen = async (headers) => JSON.parse((await request(`${base}/api/host`, { headers })).body.toString()).url;
      assert.equal(await seen({}), `http://localhost:${port}/api/host`);
      assert.equal(await seen({ host: "shop.test:8080" }), "http://shop.test:8080/api/host");
      const r = await timedGet(`${base}/app-stream`);
      assert.equal(r.status, 200);
      assert.match(r.headers["content-type"], /^text\/html/);
      const shell = r.chunks.find((c) => c.data.includes("marker:app-stream"));
      const slow = r.chunks.find((c) => c.data.includes("marker:slow-done"));
      assert.ok(shell && slow && slow.at - shell.at >= 700, "streamed through the preview");
      const cookie = await request(`${base}/mw/cookie`);
      assert.deepEqual(
        cookie.headers["set-cookie"].map((c) => c.split(";")[0]),
        ["mw-cookie=yes", "mw-other=two"],
      );
      const png = await request(`${base}/api/bytes?png=1`);
      assert.deepEqual(png.body, PNG);
      const buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
      const asset = await request(`${base}/BUILD_ID`);
      assert.equal(asset.body.toString(), buildId);
      // `/_next/image` (the imageOptimizer behavior) is optimized, not a 501.
      const image = await request(`${base}/_next/image?url=%2Fimg%2Fphoto.jpg&w=640&q=75`, { headers: { accept: "image/webp" } });
      assert.equal(image.status, 200, image.body.toString());
      assert.deepEqual(imageSize(image.body), { type: "webp", width: 640, height: 427 });
      // A body whose event is over Lambda's 6 MB payload limit is refused as AWS refuses it (5 MB is
      // 6.7 MB in base64), and said so in the log; the next request is served.
      const big = await request(`${base}/api/echo`, { method: "POST", body: Buffer.alloc(5 * 1024 * 1024, 0xff) });
      assert.equal(big.status, 413);
      assert.deepEqual(JSON.parse(big.body.toString()), { message: "Request Entity Too Large" });
      assert.match(preview.log(), /POST \/api\/echo: the Lambda event would be \d+ bytes, over Lambda's 6 MB invocation payload limit/);
      const small = await request(`${base}/api/echo`, { method: "POST", body: "x".repeat(1024 * 1024) });
      assert.equal(small.status, 200);
      assert.equal(JSON.parse(small.body.toString()).body.length, 1024 * 1024);
    } finally {
      preview.stop();
    }
  });
});

describe("aws-apigw-streaming + aws-apigw-v1 (API Gateway REST response streaming)", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v1", true, "aws-apigw-streaming");
    fn = await startLambda(fnDir);
  });
  after(() => fn?.stop());

  test("streams uncompressed with the REST prelude; cookies in multiValueHeaders", async () => {
    const r = await fn.invokeStream(apigwV1Event({ target: "/app-stream", headers: { "Accept-Encoding": "gzip, br" } }));
    assert.equal(r.contentType, "application/vnd.awslambda.http-integration-response");
    assert.equal(r.prelude.statusCode, 200);
    assert.equal(r.prelude.headers["content-encoding"], undefined, "API Gateway compresses, not the function");
    const shell = r.chunks.find((c) => c.data.includes("marker:app-stream"));
    const slow = r.chunks.find((c) => c.data.includes("marker:slow-done"));
    assert.ok(shell && slow && slow.at - shell.at >= 700, "streamed");
    const cookie = await fn.invokeStream(apigwV1Event({ target: "/mw/cookie" }));
    assert.deepEqual(
      cookie.prelude.multiValueHeaders["set-cookie"].map((c) => c.split(";")[0]),
      ["mw-cookie=yes", "mw-other=two"],
    );
    assert.equal(cookie.prelude.cookies, undefined);
    const q = await fn.invokeStream(apigwV1Event({ target: "/api/hello?x=1&x=2" }));
    assert.deepEqual(JSON.parse(q.body.toString()).query, { x: ["1", "2"] });
  });
});

describe("aws-lambda-compressed + aws-apigw-v2", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v2", true, "aws-lambda-compressed");
    fn = await startLambda(fnDir);
  });
  after(() => {
    fn?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

  test("text is compressed as the client asks, binary and unasked responses are not", async () => {
    const gz = (await fn.invoke(apigwV2Event({ target: "/app-ssr", headers: { "accept-encoding": "gzip" } }))).result;
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gz.isBase64Encoded, true);
    assert.ok(zlib.gunzipSync(Buffer.from(gz.body, "base64")).toString().includes("marker:app-ssr"));
    const br = (await fn.invoke(apigwV2Event({ target: "/app-ssr", headers: { "accept-encoding": "gzip;q=0.5, br" } }))).result;
    assert.equal(br.headers["content-encoding"], "br");
    const none = (await fn.invoke(apigwV2Event({ target: "/app-ssr", headers: { "accept-encoding": "br;q=0, gzip;q=0" } }))).result;
    assert.equal(none.headers["content-encoding"], undefined);
    assert.ok(none.body.includes("marker:app-ssr"));
    const png = (await fn.invoke(apigwV2Event({ target: "/api/bytes?png=1", headers: { "accept-encoding": "gzip" } }))).result;
    assert.equal(png.headers["content-encoding"], undefined);
    assert.deepEqual(Buffer.from(png.body, "base64"), PNG);
  });
});

describe("split server functions (functions.<name>)", { timeout: 600_000 }, () => {
  after(() => rmSync(path.join(dir, "open-next.config.ts"), { force: true }));

  test("each gets its folder, origin and behaviors; preview runs it in its own process, as AWS would", async () => {
    const override = `{ wrapper: "aws-lambda", converter: "aws-apigw-v2", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" }`;
    writeFileSync(
      path.join(dir, "open-next.config.ts"),
      `export default {
  default: { override: ${override} },
  functions: {
    api: { override: ${override}, routes: ["app/api/where/route", "app/api/host/route"], patterns: ["api/*"], install: { packages: [], arch: "arm64" } },
  },
};
`,
    );
    const r = runCli(["build", "--skip-next-build"], dir);
    assert.equal(r.code, 0, r.output);
    const out = path.join(dir, ".open-next");
    const output = JSON.parse(readFileSync(path.join(out, "open-next.output.json"), "utf8"));
    assert.deepEqual(output.origins.api, {
      type: "function",
      handler: "index.handler",
      bundle: ".open-next/server-functions/api",
      streaming: false,
      wrapper: "aws-lambda",
      converter: "aws-apigw-v2",
      queue: "direct",
      incrementalCache: "fs-dev",
      tagCache: "fs-dev",
      architectures: ["arm64"],
    });
    assert.deepEqual(
      output.behaviors.slice(0, 4).map((b) => [b.pattern, b.origin]),
      [
        ["_next/image*", "imageOptimizer"],
        ["api/*", "api"],
        ["_next/data/*", "default"],
        ["*", "default"],
      ],
    );
    for (const f of ["index.mjs", "open-next.config.mjs", "routing.json", "open-next-runtime.linux-arm64-gnu.node"]) {
      assert.ok(existsSync(path.join(out, "server-functions/api", f)), f);
    }
    assert.ok(!existsSync(path.join(out, "server-functions/api/open-next-runtime.linux-x64-gnu.node")), "narrowed to arm64");

    // Preview on x64: the api function (arm64 only) borrows this machine's Router from the package
    // and answers /api/* in its own process.
    const preview = await startPreview(dir, "/app-ssr");
    const { base } = preview;
    try {
      const where = JSON.parse((await request(`${base}/api/where`)).body.toString());
      assert.equal(path.basename(where.cwd), "api", `served from ${where.cwd}`);
      assert.notEqual(where.pid, preview.child.pid, "not the preview's own process");
      const host = JSON.parse((await request(`${base}/api/host?x=1`, { headers: { host: "shop.test" } })).body.toString());
      assert.equal(host.url, "http://shop.test/api/host?x=1", "the request reaches it as sent");
      const page = await request(`${base}/app-ssr`);
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /marker:app-ssr/);
      const echo = await request(`${base}/api/echo`, { method: "POST", body: "hi", headers: { "x-test-header": "v" } });
      assert.deepEqual(JSON.parse(echo.body.toString()).body, "hi");
    } finally {
      preview.stop();
    }
  });
});
