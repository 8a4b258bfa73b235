/**
 * Wrapper `aws-lambda-compressed`: the buffered `aws-lambda` wrapper with the
 * response body compressed (br, gzip or deflate, chosen from `Accept-Encoding`;
 * text types only) before the converter sees it — smaller responses, and more
 * room under Lambda's 6 MB payload limit.
 */
import { Readable } from "node:stream";
import { collect } from "../../http/aws.ts";
import { chooseEncoding, compressBuffer, compressedHeaders, isCompressible } from "../../http/compression.ts";
import type { InternalEvent, InternalResult, OpenNextHandler, Wrapper, WrapperHandler } from "../../types/overrides.ts";
import awsLambda from "./aws-lambda.ts";

function compressing(handler: OpenNextHandler): OpenNextHandler {
  return async (event: InternalEvent, options) => {
    const result = await handler(event, options);
    const encoding = chooseEncoding(event.headers["accept-encoding"]);
    if (!encoding || result.headers["content-encoding"] || !isCompressible(result.headers["content-type"])) return result;
    const body = compressBuffer(encoding, await collect(result.body));
    return {
      ...result,
      headers: compressedHeaders(result.headers, encoding),
      body: Readable.from([body]),
      isBase64Encoded: true,
    } satisfies InternalResult;
  };
}

const wrapper: WrapperHandler = async (handler, converter, options) => awsLambda.wrapper(compressing(handler), converter, options);

export default {
  name: "aws-lambda-compressed",
  wrapper,
  supportStreaming: false,
} satisfies Wrapper;
