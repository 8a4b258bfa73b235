/**
 * Wrapper `dummy`: the handler itself, `(internalEvent, options) => InternalResult`,
 * without converting anything. For a platform glue of one's own that builds
 * InternalEvents, and for tests.
 */
import type { InternalEvent, OpenNextHandlerOptions, Wrapper, WrapperHandler } from "../../types/overrides.ts";

const wrapper: WrapperHandler = async (handler) => async (event: InternalEvent, options?: OpenNextHandlerOptions) =>
  handler(event, options);

export default {
  name: "dummy",
  wrapper,
  supportStreaming: true,
} satisfies Wrapper;
