/**
 * What imports of this package in `open-next.config.ts` resolve to when the
 * config is compiled: the config runs inside every function, where the
 * build tool itself (and its native addon) is not installed, so only the
 * helpers a config needs are bundled into it.
 */
import type { OpenNextConfig } from "./types.ts";

/** Identity helper that gives `open-next.config.ts` its types. */
export function defineConfig(config: OpenNextConfig): OpenNextConfig {
  return config;
}
