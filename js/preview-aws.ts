/**
 * The AWS services of `open-next preview` for a build with AWS caches (`s3*`,
 * `multi-tier-ddb-s3`, `dynamodb*`, `sqs*`):
 *
 * - when the environment already names them (`AWS_ENDPOINT_URL*` or
 *   `CACHE_BUCKET_NAME`), they are used as they are;
 * - otherwise, when moto is installed (`pip install "moto[server]"`), a local
 *   S3/DynamoDB/SQS server is started on 127.0.0.1 and set up as a stack would
 *   be: the bucket with `cache/` under `_cache` and `assets/` under `_assets` (the
 *   image function's loader reads them there), the tag table (index
 *   `revalidate`) seeded from `dynamodb-provider/dynamodb-cache.json`, and the
 *   FIFO revalidation queue; it stops with the preview;
 * - the queue is drained into the real revalidation function, whose requests
 *   come back to the preview (`OPEN_NEXT_REVALIDATION_ORIGIN`); handled messages
 *   are deleted, failed ones come back after their visibility timeout.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

interface Origin {
  type?: string;
  incrementalCache?: string;
  tagCache?: string;
  queue?: string;
}

/** What the preview gets back: how to start draining the queue, and how to stop. */
export interface PreviewAws {
  /** Starts feeding queued revalidations to the revalidation function, which sends them to `origin`. */
  startDrain(origin: string): void;
  stop(): Promise<void>;
}

const log = (msg: string) => process.stdout.write(`open-next preview: ${msg}\n`);

function usesAws(origins: Record<string, Origin>): boolean {
  return Object.values(origins).some(
    (o) =>
      o.type === "function" &&
      (/^(s3|s3-lite|multi-tier-ddb-s3)$/.test(o.incrementalCache ?? "") ||
        /^dynamodb/.test(o.tagCache ?? "") ||
        /^sqs/.test(o.queue ?? "")),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`moto did not answer ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startMoto(outputDir: string): Promise<{ env: Record<string, string>; child: ChildProcess }> {
  const port = await freePort();
  // moto's server, stopped by a watcher thread once this process is gone (even when it was killed).
  const script = [
    "import os, sys, threading, time",
    "parent = os.getppid()",
    "def watch():",
    "    while os.getppid() == parent: time.sleep(1)",
    "    os._exit(0)",
    "threading.Thread(target=watch, daemon=True).start()",
    "from moto.server import main",
    "main(sys.argv[1:])",
  ].join("\n");
  const child = spawn("python3", ["-c", script, "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  process.once("exit", () => child.kill());
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(`${endpoint}/moto-api/`, child, 60_000);
  const region = "us-east-1";
  const credentials = { accessKeyId: "preview", secretAccessKey: "preview" };
  const common = { region, credentials, endpoint };
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
  const { DynamoDBClient, CreateTableCommand, BatchWriteItemCommand } = await import("@aws-sdk/client-dynamodb");
  const { SQSClient, CreateQueueCommand } = await import("@aws-sdk/client-sqs");
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const ddb = new DynamoDBClient(common);
  const sqs = new SQSClient(common);
  const bucket = "open-next-cache";
  const table = "open-next-tags";
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  /** Uploads the files of `.open-next/<dir>` under `<prefix>/`, as a stack's deployment does; returns how many. */
  const upload = async (dir: string, prefix: string): Promise<number> => {
    const root = path.join(outputDir, dir);
    if (!fs.existsSync(root)) return 0;
    let n = 0;
    for (const f of fs.readdirSync(root, { recursive: true }).map(String)) {
      const file = path.join(root, f);
      if (!fs.statSync(file).isFile()) continue;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${f.split(path.sep).join("/")}`, Body: fs.readFileSync(file) }));
      n++;
    }
    return n;
  };
  const uploaded = await upload("cache", "_cache");
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "tag", AttributeType: "S" },
        { AttributeName: "path", AttributeType: "S" },
        { AttributeName: "revalidatedAt", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "tag", KeyType: "HASH" },
        { AttributeName: "path", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "revalidate",
          KeySchema: [
            { AttributeName: "path", KeyType: "HASH" },
            { AttributeName: "revalidatedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  const seedFile = path.join(outputDir, "dynamodb-provider", "dynamodb-cache.json");
  const seed = fs.existsSync(seedFile) ? (JSON.parse(fs.readFileSync(seedFile, "utf8")) as Record<string, unknown>[]) : [];
  for (let i = 0; i < seed.length; i += 25) {
    await ddb.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: seed.slice(i, i + 25).map((Item: any) => ({ PutRequest: { Item } })) } }),
    );
  }
  // The image function's assets bucket (loaders `s3`, `s3-lite`): `assets/` under `_assets`, as a stack uploads it.
  const assets = await upload("assets", "_assets");
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: "open-next-revalidation.fifo", Attributes: { FifoQueue: "true" } }),
  );
  log(
    `local S3/DynamoDB/SQS (moto) on ${endpoint}: ${uploaded} cache files, ${assets} assets, ${seed.length} tag items, queue ${QueueUrl}`,
  );
  return {
    child,
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_ENDPOINT_URL: endpoint,
      CACHE_BUCKET_NAME: bucket,
      CACHE_BUCKET_KEY_PREFIX: "_cache",
      CACHE_BUCKET_REGION: region,
      CACHE_DYNAMO_TABLE: table,
      REVALIDATION_QUEUE_URL: QueueUrl ?? "",
      REVALIDATION_QUEUE_REGION: region,
      BUCKET_NAME: bucket,
      BUCKET_KEY_PREFIX: "_assets",
      BUCKET_REGION: region,
    },
  };
}

/**
 * Sets up the AWS services of the preview (see the module doc) and puts their
 * names in `process.env` before any function is loaded.
 */
export async function prepareAws(
  outputDir: string,
  origins: Record<string, Origin>,
  additionalProps: Record<string, any>,
): Promise<PreviewAws> {
  const none: PreviewAws = { startDrain() {}, async stop() {} };
  if (!usesAws(origins)) return none;
  let child: ChildProcess | undefined;
  const configured = Object.keys(process.env).some((k) => k.startsWith("AWS_ENDPOINT_URL")) || !!process.env.CACHE_BUCKET_NAME;
  if (!configured) {
    const hasMoto = spawnSync("python3", ["-c", "import moto.server"], { stdio: "ignore" }).status === 0;
    if (!hasMoto) {
      log(
        'this build uses AWS caches; set AWS_ENDPOINT_URL (and CACHE_BUCKET_NAME, CACHE_DYNAMO_TABLE, REVALIDATION_QUEUE_URL) to use your own, or install moto (pip install "moto[server]") for a local S3/DynamoDB/SQS; pages render without the cache meanwhile',
      );
      return none;
    }
    const started = await startMoto(outputDir);
    child = started.child;
    Object.assign(process.env, started.env);
  }
  let timer: NodeJS.Timeout | undefined;
  return {
    startDrain(origin: string) {
      const bundle = additionalProps?.revalidationFunction?.bundle as string | undefined;
      const queueUrl = process.env.REVALIDATION_QUEUE_URL;
      const region = process.env.REVALIDATION_QUEUE_REGION || "us-east-1";
      if (!bundle || !queueUrl) return;
      const file = path.join(path.dirname(outputDir), bundle, "index.mjs");
      process.env.OPEN_NEXT_REVALIDATION_ORIGIN = origin;
      const ready = (async () => {
        const { handler } = (await import(pathToFileURL(file).href)) as { handler: (e: unknown, c: unknown) => Promise<any> };
        const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = await import("@aws-sdk/client-sqs");
        return {
          handler,
          sqs: new SQSClient({ region }),
          ReceiveMessageCommand,
          DeleteMessageCommand,
        };
      })();
      let busy = false;
      timer = setInterval(async () => {
        if (busy) return;
        busy = true;
        try {
          const { handler, sqs, ReceiveMessageCommand, DeleteMessageCommand } = await ready;
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
          );
          if (Messages.length === 0) return;
          const event = {
            Records: Messages.map((m) => ({
              messageId: m.MessageId,
              receiptHandle: m.ReceiptHandle,
              body: m.Body,
              attributes: {},
              messageAttributes: {},
              md5OfBody: m.MD5OfBody,
              eventSource: "aws:sqs",
              awsRegion: region,
            })),
          };
          const result = await handler(event, { awsRequestId: "preview", getRemainingTimeInMillis: () => 30_000 });
          const failed = new Set<string>((result?.batchItemFailures ?? []).map((f: { itemIdentifier: string }) => f.itemIdentifier));
          for (const m of Messages) {
            if (!failed.has(m.MessageId ?? ""))
              await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
          }
          log(`revalidated ${Messages.length - failed.size} of ${Messages.length} queued page(s)`);
        } catch (e: any) {
          log(`draining the revalidation queue failed: ${e?.message ?? e}`);
        } finally {
          busy = false;
        }
      }, 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      child?.kill();
    },
  };
}
