/**
 * What every function besides the server function shares (revalidation,
 * warmer, initializer): the config next to the bundle is loaded (and published
 * as `globalThis.openNextConfig`, as OpenNext does), a lazy custom wrapper or
 * converter under `config[type].override` replaces the built-in one, and the
 * wrapper turns the function's handler into the Lambda handler.
 */
import type { BaseEventOrResult, Converter, OpenNextHandler, Wrapper } from "../types/overrides.ts";
import { loadConfig, pick } from "../utils/config.ts";
import { error } from "../utils/logger.ts";

/** The config key of a function kind (OpenNext's names). */
export type FunctionType = "revalidate" | "warmer" | "initializationFunction" | "imageOptimization";

export interface GenericFunctionOptions<E extends BaseEventOrResult, R extends BaseEventOrResult> {
  type: FunctionType;
  handler: OpenNextHandler<E, R>;
  /** The built-in overrides the build selected. */
  wrapper: Wrapper<E, R>;
  converter: Converter<E, R>;
}

/** The Lambda handler of a function kind; initialisation starts at once. */
export function createGenericFunction<E extends BaseEventOrResult, R extends BaseEventOrResult>(
  options: GenericFunctionOptions<E, R>,
): (...args: any[]) => Promise<any> {
  const ready = (async () => {
    const config = await loadConfig();
    (globalThis as Record<string, unknown>).openNextConfig = config;
    const o = ((config as Record<string, any>)[options.type]?.override ?? {}) as Record<string, unknown>;
    const wrapper = await pick<Wrapper<E, R>>(o.wrapper, options.wrapper);
    const converter = await pick<Converter<E, R>>(o.converter, options.converter);
    return wrapper.wrapper(options.handler, converter, { functionName: options.type });
  })();
  ready.catch((e) => error(`the ${options.type} function failed to start`, e));
  return async (...args: any[]) => (await ready)(...args);
}
