/**
 * Programmatic API of open-next-rs: `build()` and `defineConfig()` with
 * OpenNext's config types.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadBuildAddon, runtimeAddons, wantedTargets } from "./addons.ts";
import { fromNative, loadConfig } from "./config.ts";
import type { OpenNextConfig } from "./types.ts";

export type * from "./types.ts";
export { OpenNextError } from "./config.ts";

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
  const binding = loadBuildAddon<Binding>(packageRoot);
  const notes: string[] = [];
  const addons = runtimeAddons(packageRoot, wantedTargets(loaded.config as Record<string, any>), notes);
  try {
    const json = await binding.buildNative({
      cwd,
      config: loaded.serialized,
      configFile: loaded.file,
      compiledConfig: loaded.compiled,
      configTracedFiles: loaded.tracedFiles,
      runtimeDir: path.join(packageRoot, "runtime"),
      dangerouslyUseUnsupportedNextVersion: options.dangerouslyUseUnsupportedNextVersion ?? false,
      skipNextBuild: options.skipNextBuild ?? false,
      adapterPath: path.join(packageRoot, "adapter/index.cjs"),
      runtimeAddons: addons,
    });
    const report = JSON.parse(json) as BuildReport;
    report.warnings.push(...notes);
    return report;
  } catch (e) {
    const err = fromNative(e);
    if (err instanceof Error && notes.length) err.message += `\n${notes.join("\n")}`;
    throw err;
  }
}

type Binding = typeof import("../index.js");
let nativeBinding: Binding | undefined;
function binding(): Binding {
  nativeBinding ??= loadBuildAddon<Binding>(packageRoot);
  return nativeBinding;
}

export type {
  BundleOptions,
  BundleResult,
  NodeFileTraceOptions,
  NodeFileTraceReason,
  NodeFileTraceResult,
  NodeFileTraceWarning,
} from "../index.js";

/** The native trace cache (see {@link TraceCache}). */
type NativeTraceCache = InstanceType<Binding["TraceCache"]>;

/**
 * A cache reusable across {@link nodeFileTrace} calls (file-system lookups,
 * package.json reads, module analyses). Do not reuse it after files changed.
 * (The native addon is loaded on first use, not when this module is imported.)
 */
export class TraceCache {
  /** The native cache handed to the tracer. */
  readonly native: NativeTraceCache;
  constructor() {
    this.native = new (binding().TraceCache)();
  }
  /** How many module analyses the cache holds. */
  get analysisCount(): number {
    return this.native.analysisCount;
  }
}

/**
 * Lists the files that `files` need at run time, with @vercel/nft's rules,
 * option names and result shape (`fileList`, `esmFileList`, `reasons`,
 * `warnings`; arrays and records instead of Set/Map). Runs in Rust off the
 * main thread. Rejects with an `OpenNextError` (`ERR_TRACE`) when an entry or
 * `base` does not exist; unresolvable dependencies are `warnings`.
 *
 * ```ts
 * const cache = new TraceCache();
 * const { fileList } = await nodeFileTrace(["server.js"], { base: process.cwd() }, cache);
 * ```
 */
export async function nodeFileTrace(
  files: string[],
  options?: import("../index.js").NodeFileTraceOptions,
  cache?: TraceCache,
): Promise<import("../index.js").NodeFileTraceResult> {
  try {
    return await binding().nodeFileTrace(files, options, cache?.native);
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * Bundles a TypeScript/JavaScript entry and its relative imports into one ESM
 * module with the swc-based bundler that builds every function's `index.mjs`.
 * Errors reject with an `OpenNextError` carrying `file:line:col`.
 */
export async function bundle(options: import("../index.js").BundleOptions): Promise<import("../index.js").BundleResult> {
  try {
    return await binding().bundle(options);
  } catch (e) {
    throw fromNative(e);
  }
}
