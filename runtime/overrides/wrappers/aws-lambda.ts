/**
 * Wrapper `aws-lambda`: a plain (buffered) Lambda handler,
 * `(event, context) => result`. The converter turns the event into an
 * InternalEvent and the handler's result back into what Lambda returns.
 * Used by external middleware on Lambda@Edge (with `aws-cloudfront`).
 */
import type { Wrapper, WrapperHandler } from "../../types/overrides.ts";

const wrapper: WrapperHandler<any, any> = async (handler, converter) => async (event: any) => {
  const internal = await converter.convertFrom(event);
  const result = await handler(internal);
  return converter.convertTo(result, event);
};

export default {
  name: "aws-lambda",
  wrapper,
  supportStreaming: false,
} satisfies Wrapper<any, any>;
