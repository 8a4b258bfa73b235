/**
 * The user's config and lazy overrides, as every function bundle loads them.
 */
import type { LazyLoadedOverride, OpenNextConfig } from "../types/overrides.ts";
import { debug } from "./logger.ts";

/** Imports `open-next.config.mjs` from next to the bundle (defaults when there is none). */
export async function loadConfig(): Promise<OpenNextConfig> {
  try {
    // Resolved next to the bundle at run time (the build writes it there); a URL,
    // not a relative literal, so the bundler leaves this import to run time.
    const mod = await import(new URL("./open-next.config.mjs", import.meta.url).href);
    return ((mod as { default?: OpenNextConfig }).default ?? { default: {} }) as OpenNextConfig;
  } catch (e: any) {
    if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e?.message ?? "").includes("open-next.config.mjs")) {
      debug("no open-next.config.mjs next to the bundle, using defaults");
      return { default: {} };
    }
    throw e;
  }
}

/** A lazy custom override from the config when there is one, else the built-in the build selected. */
export async function pick<T extends { name: string }>(custom: unknown, builtin: T): Promise<T> {
  if (typeof custom === "function") return (await (custom as LazyLoadedOverride<T>)()) as T;
  return builtin;
}
