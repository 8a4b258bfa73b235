// The server function on AWS Lambda: the Next 16 fixture built with the
// `aws-lambda` wrapper and each API Gateway converter, its handler run by a
// Lambda stand-in (`helpers/lambda.mjs`) and given events in the shapes AWS
// documents (`helpers/aws-events.mjs`).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot, runCli } from "./helpers/util.mjs";
import { apigwV1Event, apigwV2Event, startLambda } from "./helpers/aws-events.mjs";
import { createStack, putItems, startMoto, uploadDir } from "./helpers/moto.mjs";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";

const dir = path.join(repoRoot, "__test__/fixtures/next16");
const fnDir = path.join(dir, ".open-next/server-functions/default");
const config = (converter) => `export default {
  default: {
    override: { wrapper: "aws-lambda", converter: "${converter}", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" },
  },
};
`;

function build(converter, skipNextBuild) {
  if (converter) writeFileSync(path.join(dir, "open-next.config.ts"), config(converter));
  else rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  const r = runCli(["build", ...(skipNextBuild ? ["--skip-next-build"] : [])], dir);
  if (r.code !== 0) throw new Error(`open-next build failed:\n${r.output}`);
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const renderTime = (html) => /id="time">(\d+)</.exec(html)?.[1];

describe("no config: OpenNext's defaults (aws-lambda, aws-apigw-v2, s3-lite, dynamodb-lite, sqs-lite) on moto", {
  timeout: 600_000,
}, () => {
  let moto;
  let env;
  let fn;
  let buildId;
  before(async () => {
    build(undefined, false);
    buildId = readFileSync(path.join(dir, ".next/BUILD_ID"), "utf8").trim();
    moto = await startMoto();
    env = await createStack(moto);
    // What a stack's deployment does: cache/ to `_cache`, the tag seed into the table.
    await uploadDir(moto, "cache", path.join(dir, ".open-next/cache"), "_cache");
    const seed = path.join(dir, ".open-next/dynamodb-provider/dynamodb-cache.json");
    if (existsSync(seed)) await putItems(moto, "tags", JSON.parse(readFileSync(seed, "utf8")));
    fn = await startLambda(fnDir, { env });
  });
  after(() => {
    fn?.stop();
    moto?.stop();
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
    const get = async () => (await fn.invoke(apigwV2Event({ target: "/app-isr" }))).result;
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
    assert.equal(body.host, "abc123.execute-api.us-east-1.amazonaws.com");
    assert.equal(typeof body.lastModified, "number");
    assert.equal(typeof body.eTag, "string");
    assert.match(Messages[0].Attributes.MessageGroupId, /^revalidate-\d$/);
    assert.match(Messages[0].Attributes.MessageDeduplicationId, /^[0-9a-f]{32}$/);

    // What the revalidation function sends for that message.
    // Next 16.3.8+ scopes route cache keys (`route-cache/APP_PAGE/<hash>/$/app-isr`).
    const cacheDir = path.join(dir, ".open-next/cache");
    const file = readdirSync(cacheDir, { recursive: true })
      .map(String)
      .find((f) => f.endsWith("app-isr.cache"));
    assert.ok(file?.startsWith(`${buildId}/`), file);
    const key = `_cache/${file.split(path.sep).join("/")}`;
    const before = (await moto.s3.send(new HeadObjectCommand({ Bucket: "cache", Key: key }))).LastModified;
    await sleep(1100); // S3 times have second precision
    const previewModeId = JSON.parse(readFileSync(path.join(dir, ".next/prerender-manifest.json"), "utf8")).preview.previewModeId;
    const head = await fn.invoke(
      apigwV2Event({
        method: "HEAD",
        target: body.url,
        host: body.host,
        headers: { "x-prerender-revalidate": previewModeId, "x-isr": "1" },
      }),
    );
    assert.equal(head.result.statusCode, 200);
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

describe("aws-lambda + aws-apigw-v2", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v2", true);
    fn = await startLambda(fnDir);
  });
  after(() => fn?.stop());

  test("open-next.output.json names the overrides; no self-hosted assets in the function", () => {
    const output = JSON.parse(readFileSync(path.join(dir, ".open-next/open-next.output.json"), "utf8"));
    assert.equal(output.origins.default.wrapper, "aws-lambda");
    assert.equal(output.origins.default.converter, "aws-apigw-v2");
    assert.equal(output.origins.default.handler, "index.handler");
    assert.ok(!existsSync(path.join(fnDir, "public")), "public/ is served from S3, not the function");
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
  });
});

describe("aws-lambda + aws-apigw-v1", { timeout: 600_000 }, () => {
  let fn;
  before(async () => {
    build("aws-apigw-v1", true);
    fn = await startLambda(fnDir);
  });
  after(() => {
    fn?.stop();
    rmSync(path.join(dir, "open-next.config.ts"), { force: true });
  });

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
