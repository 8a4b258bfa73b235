/**
 * Wrapper `aws-lambda-streaming`: Lambda response streaming (a function URL
 * with `InvokeMode: RESPONSE_STREAM`). The handler is wrapped with
 * `awslambda.streamifyResponse`; once Next has set the status and headers they
 * go out as the HTTP integration prelude (`awslambda.HttpResponseStream.from`:
 * JSON `{statusCode, headers, cookies}` then 8 NUL bytes), and the body follows
 * as Next writes it, compressed (br/gzip/deflate from `Accept-Encoding`, text
 * types only) with a flush per write so a streamed render stays streamed.
 *
 * The invocation returns once the response stream has finished — also for an
 * empty body, and after an error once headers were sent (the stream is ended,
 * so Lambda does not run on until its timeout). Warmer events are answered on
 * the stream. The converter (`aws-apigw-v2`) only reads the event.
 *
 * Protocol: https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html
 */
import { finished } from "node:stream/promises";
import type { Writable } from "node:stream";
import { chooseEncoding, compressedHeaders, compressor, isCompressible } from "../../http/compression.ts";
import type { InternalEvent, StreamCreator, Wrapper, WrapperHandler } from "../../types/overrides.ts";
import { isBadEvent } from "../../utils/errors.ts";
import { error } from "../../utils/logger.ts";
import { singleValueHeaders } from "../converters/aws-apigw-v2.ts";
import { convertOrRefuse, isWarmerEvent, warmerResponse } from "./aws-lambda.ts";

/** What Lambda's Node.js runtime provides as the `awslambda` global. */
interface AwsLambdaGlobal {
  streamifyResponse(handler: (event: any, stream: ResponseStream, context: any) => Promise<void>): unknown;
  HttpResponseStream: {
    from(
      stream: ResponseStream,
      prelude: { statusCode: number; headers: Record<string, string>; cookies?: string[]; multiValueHeaders?: Record<string, string[]> },
    ): Writable;
  };
}

/** Lambda's response stream. */
type ResponseStream = Writable & { setContentType?(type: string): void };

function runtime(): AwsLambdaGlobal {
  const g = (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (!g?.streamifyResponse || !g.HttpResponseStream) {
    throw new Error(
      "aws-lambda-streaming: the `awslambda` global of Lambda's Node.js runtime is missing; this wrapper runs only on AWS Lambda (function URL with response streaming). Use the `aws-lambda` wrapper elsewhere.",
    );
  }
  return g;
}

function sendText(lambda: AwsLambdaGlobal, stream: ResponseStream, converterName: string, statusCode: number, text: string): void {
  const out = lambda.HttpResponseStream.from(
    stream,
    prelude(converterName, statusCode, { "content-type": "text/plain; charset=utf-8" }, []),
  );
  out.end(text);
}

/** How a streaming wrapper differs. */
export interface StreamingOptions {
  /** Compress text bodies from `Accept-Encoding` (function URLs); API Gateway does its own. */
  compress: boolean;
}

/**
 * The prelude of the HTTP integration response: function URLs and HTTP APIs take
 * `cookies`; REST APIs (`aws-apigw-v1`) take repeated headers in `multiValueHeaders`.
 */
function prelude(converterName: string, statusCode: number, headers: Record<string, string>, cookies: string[]) {
  const single = singleValueHeaders(headers);
  if (converterName === "aws-apigw-v1") {
    return { statusCode, headers: single, multiValueHeaders: cookies.length ? { "set-cookie": cookies } : {} };
  }
  return { statusCode, headers: single, cookies };
}

/** A streaming wrapper with these options. */
export function streamingWrapper({ compress }: StreamingOptions): WrapperHandler {
  return async (handler, converter) => {
    const lambda = runtime();
    return lambda.streamifyResponse(async (event, responseStream, context) => {
      if (context) context.callbackWaitsForEmptyEventLoop = false;
      const done = finished(responseStream).catch(() => undefined);
      if (isWarmerEvent(event)) {
        responseStream.end(JSON.stringify(await warmerResponse(event)));
        await done;
        return;
      }
      const internal: InternalEvent = await convertOrRefuse(converter, event);
      if (isBadEvent(internal)) {
        sendText(lambda, responseStream, converter.name, internal.status, `Bad Request: ${internal.message}\n`);
        await done;
        return;
      }
      const encoding = compress ? chooseEncoding(internal.headers["accept-encoding"]) : undefined;
      let body: Writable | undefined;
      const streamCreator: StreamCreator = {
        writeHeaders({ statusCode, cookies, headers }) {
          const compress = encoding !== undefined && !headers["content-encoding"] && isCompressible(headers["content-type"]);
          const sent = compress ? compressedHeaders(headers, encoding) : headers;
          const http = lambda.HttpResponseStream.from(responseStream, prelude(converter.name, statusCode, sent, cookies));
          if (compress) {
            const z = compressor(encoding);
            z.on("error", (e) => http.destroy(e));
            z.pipe(http);
            body = z;
          } else body = http;
          return body;
        },
        retainChunks: false,
      };
      try {
        await handler(internal, { streamCreator });
      } catch (e) {
        error("request failed", internal.method, internal.url, e);
      }
      if (!body) sendText(lambda, responseStream, converter.name, 500, "Internal Server Error\n");
      else if (!body.writableEnded && !body.destroyed) body.end();
      await done;
    });
  };
}

export default {
  name: "aws-lambda-streaming",
  wrapper: streamingWrapper({ compress: true }),
  supportStreaming: true,
} satisfies Wrapper;
