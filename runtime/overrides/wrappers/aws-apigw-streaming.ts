/**
 * Wrapper `aws-apigw-streaming`: API Gateway response streaming (a REST API
 * Lambda proxy integration with `ResponseTransferMode: STREAM`, invoked with
 * `InvokeWithResponseStreaming`). The same protocol as `aws-lambda-streaming`
 * (`awslambda.streamifyResponse`, the HTTP integration prelude, the body as Next
 * writes it), with two differences: the body is not compressed (API Gateway
 * applies its own compression settings), and with the `aws-apigw-v1` converter
 * repeated `Set-Cookie` headers go in the prelude's `multiValueHeaders`.
 *
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
 */
import type { Wrapper } from "../../types/overrides.ts";
import { streamingWrapper } from "./aws-lambda-streaming.ts";

export default {
  name: "aws-apigw-streaming",
  wrapper: streamingWrapper({ compress: false }),
  supportStreaming: true,
} satisfies Wrapper;
