// A moto server (PyPI `moto[server]`) on 127.0.0.1 standing in for S3,
// DynamoDB and SQS, and the AWS SDK v3 clients pointed at it. Started per test
// file and stopped after (and by itself when its parent goes away, as every
// server of `startServer`).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { freePort, startServer } from "./util.mjs";

export const region = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** Starts moto; `.endpoint` is its URL, `.s3`/`.ddb`/`.sqs` SDK clients for it. */
export async function startMoto() {
  const port = await freePort();
  const moto = await startServer("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    url: `http://127.0.0.1:${port}/moto-api/`,
    timeoutMs: 60_000,
  });
  moto.endpoint = `http://127.0.0.1:${port}`;
  const common = { region, credentials, endpoint: moto.endpoint };
  moto.s3 = new S3Client({ ...common, forcePathStyle: true });
  moto.ddb = new DynamoDBClient(common);
  moto.sqs = new SQSClient(common);
  return moto;
}

/**
 * Creates what an OpenNext stack creates: the cache bucket, the tag table (hash
 * `tag`, range `path`, index `revalidate` on `path` + `revalidatedAt`) and the
 * FIFO revalidation queue. Returns the function environment that names them.
 */
export async function createStack(moto, { bucket = "cache", table = "tags", queue = "revalidation.fifo" } = {}) {
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.ddb.send(
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
  const { QueueUrl } = await moto.sqs.send(new CreateQueueCommand({ QueueName: queue, Attributes: { FifoQueue: "true" } }));
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: moto.endpoint,
    CACHE_BUCKET_NAME: bucket,
    CACHE_BUCKET_KEY_PREFIX: "_cache",
    CACHE_BUCKET_REGION: region,
    CACHE_DYNAMO_TABLE: table,
    REVALIDATION_QUEUE_URL: QueueUrl,
    REVALIDATION_QUEUE_REGION: region,
  };
}

/** Uploads a directory's files under `prefix/` (as a stack deploys `.open-next/cache` to `_cache`). */
export async function uploadDir(moto, bucket, dir, prefix) {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(path.join(dir, f)).isFile());
  for (const f of files) {
    await moto.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${f.split(path.sep).join("/")}`, Body: readFileSync(path.join(dir, f)) }),
    );
  }
  return files.length;
}

/** Writes DynamoDB items (in their `{S}`/`{N}` form) 25 at a time. */
export async function putItems(moto, table, items) {
  for (let i = 0; i < items.length; i += 25) {
    await moto.ddb.send(
      new BatchWriteItemCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
    );
  }
}
