/**
 * Converter `dummy`, as OpenNext's: wraps the event and the result as
 * `{ type: "dummy", original }`. It pairs with the `dummy` wrapper (which hands
 * InternalEvents to the handler without converting) or a custom wrapper that
 * converts by itself.
 */
import type { Converter } from "../../types/overrides.ts";

type DummyEventOrResult = { type: "dummy"; original: unknown };

const converter: Converter<DummyEventOrResult, DummyEventOrResult> = {
  name: "dummy",
  async convertFrom(event: unknown) {
    return { type: "dummy", original: event };
  },
  async convertTo(result: unknown) {
    return { type: "dummy", original: result };
  },
};

export default converter;
