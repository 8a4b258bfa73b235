/**
 * Programmatic API of open-next-rs: `build()` and `defineConfig()` with
 * OpenNext's config types.
 */
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { fromNative, loadConfig } from "./config.ts";
import type { OpenNextConfig } from "./types.ts";

export type * from "./types.ts";
export { OpenNextError } from "./config.ts";

const require = createRequire(import.meta.url);
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Identity helper that gives `open-next.config.ts` its types. */
export function defineConfig(config: OpenNextConfig): OpenNextConfig {
  return config;
}

/** Options of {@link build}. */
export interface BuildOptions {
  /** Directory to build in (default `process.cwd()`). */
  cwd?: string;
  /** Path to the config file (default: `open-next.config.{ts,mts,mjs,js}` in `cwd`). */
  configPath?: string;
  /** Build even when the Next.js version is outside the supported range. */
  dangerouslyUseUnsupportedNextVersion?: boolean;
  /** Skip `next build` and use the existing `.next/` output. */
  skipNextBuild?: boolean;
}

/** Wall time of one build phase. */
export interface BuildPhase {
  /** Phase name. */
  name: string;
  /** Milliseconds. */
  ms: number;
}

/** What {@link build} returns. */
export interface BuildReport {
  /** Absolute path of `.open-next/`. */
  outputDir: string;
  /** Installed Next.js version. */
  nextVersion: string;
  /** How the Next.js output was read: `"adapter"` (Deployment Adapter API, Next >= 16.2) or `"manifests"`. */
  input: "adapter" | "manifests";
  /** The command that ran the Next.js build (absent with `skipNextBuild`). */
  buildCommand?: string;
  /** Next's BUILD_ID. */
  buildId: string;
  /** Phases with their wall time. */
  phases: BuildPhase[];
  /** Wall time of everything after `next build` (ms). */
  postBuildMs: number;
  /** The `open-next.output.json` content. */
  output: Record<string, any>;
  /** Counters: files copied, cache entries, bundled modules. */
  stats: Record<string, any>;
  /** Non-fatal notes. */
  warnings: string[];
}

/**
 * Builds `.open-next/` for the Next.js app in `options.cwd`: runs the Next.js
 * build in standalone mode, then writes assets, cache, server function and
 * `open-next.output.json`. Rejects with an `OpenNextError` (with `code`) on bad input.
 */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const loaded = await loadConfig(cwd, options.configPath);
  const binding = require("../index.js");
  try {
    const json = await binding.buildNative({
      cwd,
      config: loaded.serialized,
      configFile: loaded.file,
      compiledConfig: loaded.compiled,
      runtimeDir: path.join(packageRoot, "runtime"),
      dangerouslyUseUnsupportedNextVersion: options.dangerouslyUseUnsupportedNextVersion ?? false,
      skipNextBuild: options.skipNextBuild ?? false,
      adapterPath: path.join(packageRoot, "adapter/index.cjs"),
    });
    return JSON.parse(json) as BuildReport;
  } catch (e) {
    throw fromNative(e);
  }
}
