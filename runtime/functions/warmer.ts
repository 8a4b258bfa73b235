/**
 * The warmer function (`.open-next/warmer-function/`), run on a schedule: it
 * asks the `warmer.invokeFunction` override (built-in `aws-lambda`: Lambda
 * `Invoke` of each function in `WARM_PARAMS`) to call the server functions
 * with warmer events, and answers `{ type: "warmer", warmed }`.
 */
import { randomUUID } from "node:crypto";
import type { Warmer } from "../types/overrides.ts";
import { pick } from "../utils/config.ts";

/** The warmer handler over the selected invoke override. */
export function warmerHandler(builtin: Warmer) {
  return async (_event: unknown) => {
    const config = (globalThis as { openNextConfig?: { warmer?: { invokeFunction?: unknown } } }).openNextConfig;
    const invoker = await pick<Warmer>(config?.warmer?.invokeFunction, builtin);
    const warmed = await invoker.invoke(`warmer-${randomUUID()}`);
    return { type: "warmer", warmed: warmed ?? undefined };
  };
}
