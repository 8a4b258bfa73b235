/**
 * Signed requests to AWS services for the lite overrides (`s3-lite`,
 * `dynamodb-lite`, `sqs-lite`): SigV4 by `aws4fetch`, Node's `fetch`, and what
 * the SDK would add around them.
 *
 * - Endpoints honour the SDK's variables: `AWS_ENDPOINT_URL_<SERVICE>` (`_S3`,
 *   `_DYNAMODB`, `_SQS`), then `AWS_ENDPOINT_URL`, unless
 *   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`; otherwise the regional AWS endpoint.
 * - Credentials come from the environment, as Lambda provides them
 *   (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
 * - Retries are bounded: `AWS_MAX_ATTEMPTS` attempts in all (default 3), on
 *   network errors, timeouts, 5xx, 429 and throttling errors (S3 `SlowDown`,
 *   DynamoDB `ProvisionedThroughputExceededException`, ...), with jittered
 *   exponential backoff; each attempt times out after `OPEN_NEXT_AWS_TIMEOUT_MS`
 *   (default 5000 ms).
 */
import { AwsClient } from "aws4fetch";
import { intEnv } from "../utils/env.ts";
import { debug } from "../utils/logger.ts";
import { AwsError } from "./errors.ts";
import { platformFetch } from "../utils/platform-fetch.ts";

/** The services the lite overrides call. */
export type Service = "s3" | "dynamodb" | "sqs" | "lambda" | "cloudfront";

const THROTTLING = /Throttl|SlowDown|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests|RequestThrottled/;

function envTrue(v: string | undefined): boolean {
  return v !== undefined && v.toLowerCase() === "true";
}

/** The endpoint of `service` (no trailing slash), as the SDK would pick it. */
export function endpointFor(service: Service, region: string): string {
  if (!envTrue(process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)) {
    const configured = process.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || process.env.AWS_ENDPOINT_URL;
    if (configured) return configured.replace(/\/+$/, "");
  }
  if (service === "cloudfront") return "https://cloudfront.amazonaws.com";
  return service === "s3" ? `https://s3.${region}.amazonaws.com` : `https://${service}.${region}.amazonaws.com`;
}

/** Whether the S3 endpoint is a configured one (then requests are path-style). */
export function customEndpoint(service: Service): boolean {
  return (
    !envTrue(process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS) &&
    !!(process.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || process.env.AWS_ENDPOINT_URL)
  );
}

const clients = new Map<string, AwsClient>();

function client(service: Service, region: string): AwsClient {
  const key = `${service}/${region}`;
  let c = clients.get(key);
  if (!c) {
    c = new AwsClient({
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
      sessionToken: process.env.AWS_SESSION_TOKEN,
      service,
      region,
      // Retries are ours (bounded, and on throttling too).
      retries: 0,
    });
    clients.set(key, c);
  }
  return c;
}

/** How a response reads as an error: the AWS error code and message, when there is one. */
async function errorOf(res: Response): Promise<{ code?: string; message: string }> {
  const header = res.headers.get("x-amzn-errortype") ?? undefined;
  let text = "";
  try {
    text = await res.text();
  } catch {}
  let code = header?.split(":")[0];
  let message = text.slice(0, 300);
  try {
    const json = JSON.parse(text);
    code =
      String(json.__type ?? json.code ?? code ?? "")
        .split("#")
        .pop() || code;
    message = json.message ?? json.Message ?? message;
  } catch {
    const m = /<Code>([^<]+)<\/Code>/.exec(text);
    if (m) code = m[1];
    const mm = /<Message>([^<]*)<\/Message>/.exec(text);
    if (mm) message = mm[1];
  }
  return { code, message };
}

/** What a call is, for error messages: `S3 GetObject bucket/key`. */
export interface CallInfo {
  service: Service;
  region: string;
  what: string;
  /** Statuses that are answers, not failures (404 for a missing S3 object). */
  ok?: (status: number) => boolean;
}

/**
 * Sends a signed request with bounded retries. Resolves with the response when its
 * status is 2xx or accepted by `info.ok`; throws an {@link AwsError} naming the call
 * otherwise.
 */
export async function awsFetch(url: string, init: RequestInit, info: CallInfo): Promise<Response> {
  const attempts = intEnv("AWS_MAX_ATTEMPTS", 3);
  const timeoutMs = intEnv("OPEN_NEXT_AWS_TIMEOUT_MS", 5000);
  const c = client(info.service, info.region);
  let last: AwsError | undefined;
  let tried = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    tried = attempt;
    if (attempt > 1) await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 50 * 2 ** attempt)));
    let res: Response;
    try {
      const signed = await c.sign(url, init);
      res = await platformFetch(signed, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e: any) {
      const reason = e?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e?.cause?.code ?? e?.message ?? String(e));
      last = new AwsError(`${info.what} failed: ${reason} (${new URL(url).origin})`);
      debug(`${last.message}, attempt ${attempt} of ${attempts}`);
      continue;
    }
    if ((res.status >= 200 && res.status < 300) || info.ok?.(res.status)) return res;
    const { code, message } = await errorOf(res);
    last = new AwsError(`${info.what} failed: ${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`, res.status, code);
    const retryable = res.status >= 500 || res.status === 429 || (code !== undefined && THROTTLING.test(code));
    if (!retryable) break;
  }
  if (last && tried > 1) last.message += ` (${tried} attempts)`;
  throw last ?? new AwsError(`${info.what} failed`);
}

/**
 * Reads and drops a response's (small) body. Not `body.cancel()`: on Node 20
 * that can wait for the request's timeout signal (or forever once the signal
 * is collected), stalling every cache miss.
 */
export async function discardBody(res: Response): Promise<void> {
  await res.arrayBuffer();
}

/** A JSON-protocol call (DynamoDB, SQS): `X-Amz-Target: <target>`, JSON in and out. */
export async function jsonCall<T = any>(service: Service, region: string, target: string, body: unknown, what: string): Promise<T> {
  const res = await awsFetch(
    `${endpointFor(service, region)}/`,
    {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": target },
      body: JSON.stringify(body),
    },
    { service, region, what },
  );
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}
