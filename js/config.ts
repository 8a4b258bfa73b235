/**
 * Loading `open-next.config.ts`: compiled by the Rust bundler (types stripped,
 * relative imports bundled), evaluated in Node for build-time values, and shipped
 * as `open-next.config.mjs` into every function.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire, isBuiltin } from "node:module";
import type { OpenNextConfig } from "./types.ts";

const require = createRequire(import.meta.url);
/** This package's root (`dist/..` once compiled). */
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A loaded config. */
export interface LoadedConfig {
  /** The config object (with functions). */
  config: OpenNextConfig;
  /** JSON-serialisable form for the native build (custom overrides as `{custom, name}`). */
  serialized: unknown;
  /** The compiled ESM module text. */
  compiled: string;
  /** The config file, or undefined when the defaults are used. */
  file?: string;
  /**
   * Absolute paths of the files the compiled config loads at run time (the npm
   * packages its custom overrides import), traced where it was evaluated.
   */
  tracedFiles: string[];
}

const CANDIDATES = ["open-next.config.ts", "open-next.config.mts", "open-next.config.mjs", "open-next.config.js"];

/** The default config when no file exists: OpenNext's defaults. */
export const DEFAULT_CONFIG_SOURCE = "export default { default: {} };\n";

/** Error with a stable code, printed without a stack trace by the CLI. */
export class OpenNextError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "OpenNextError";
  }
}

/** Turns a native error (`ERR_X: message`) into an {@link OpenNextError}. */
export function fromNative(e: unknown): unknown {
  if (e instanceof Error) {
    const m = /^(ERR_[A-Z_]+): ([\s\S]*)$/.exec(e.message);
    if (m) return new OpenNextError(m[1], m[2]);
  }
  return e;
}

/** Keys whose function values are lazy overrides (OpenNext's `LazyLoadedOverride`). */
const LAZY_OVERRIDE_KEYS = new Set(["loader", "originResolver", "invokeFunction", "tagCache"]);

function isOverridePosition(at: string): boolean {
  const parts = at.split(".");
  return parts.includes("override") || LAZY_OVERRIDE_KEYS.has(parts[parts.length - 1]);
}

async function serializeOverrides(value: any, at: string): Promise<unknown> {
  if (typeof value === "function" && !isOverridePosition(at)) {
    // Plain callbacks (e.g. dangerous.headersAndCookiesPriority) run only at request time.
    return { function: true };
  }
  if (typeof value === "function") {
    let mod: any;
    try {
      mod = await value();
    } catch (e) {
      throw new OpenNextError("ERR_CONFIG", `custom override at \`${at}\` threw while loading: ${(e as Error)?.message ?? e}`);
    }
    const name = mod?.default?.name ?? mod?.name;
    return { custom: true, name: typeof name === "string" ? name : "custom" };
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => serializeOverrides(v, `${at}[${i}]`)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await serializeOverrides(v, at ? `${at}.${k}` : k);
    return out;
  }
  return value;
}

/**
 * The files the compiled config's npm imports need in a function: each bare
 * specifier is resolved the way the bundle loads it at run time (`require` from
 * the config's location), then traced. Built-in modules are skipped.
 */
function traceExternals(binding: any, from: string, externals: string[]): string[] {
  const req = createRequire(from);
  const entries: string[] = [];
  for (const spec of externals) {
    if (isBuiltin(spec) || spec.startsWith(".") || spec.startsWith("/")) continue;
    try {
      entries.push(req.resolve(spec));
    } catch {
      // Only reachable through a real `import()` (ESM-only package): its package.json says where.
      try {
        entries.push(
          req.resolve(
            `${spec
              .split("/")
              .slice(0, spec.startsWith("@") ? 2 : 1)
              .join("/")}/package.json`,
          ),
        );
      } catch {
        throw new OpenNextError(
          "ERR_CONFIG",
          `the config imports "${spec}", which is not installed where the config is: install it in the app`,
        );
      }
    }
  }
  if (entries.length === 0) return [];
  const root = path.parse(from).root;
  const trace = binding.nodeFileTraceSync(entries, { base: root, platform: "linux" });
  return trace.fileList.map((f: string) => path.join(root, f));
}

/** Finds, compiles and evaluates the config. */
export async function loadConfig(cwd: string, configPath?: string): Promise<LoadedConfig> {
  const binding = require("../index.js");
  let file: string | undefined;
  if (configPath) {
    file = path.resolve(cwd, configPath);
    if (!existsSync(file)) throw new OpenNextError("ERR_CONFIG", `config file ${file} (from --config-path) does not exist`);
  } else {
    file = CANDIDATES.map((c) => path.join(cwd, c)).find((c) => existsSync(c));
  }
  let compiled = DEFAULT_CONFIG_SOURCE;
  let externals: string[] = [];
  if (file) {
    try {
      ({ code: compiled, externals } = binding.bundleSync({
        entry: file,
        banner: `// Compiled from ${path.basename(file)} by open-next-rs`,
        // The config runs inside the functions, where this package is not installed.
        alias: { "open-next-rs": path.join(packageDir, "js/config-runtime.ts") },
      }));
    } catch (e) {
      throw fromNative(e);
    }
  }
  // Evaluate beside the config file so bare imports resolve from the app's
  // node_modules; the temporary file is removed right after the import.
  const tmp = path.join(file ? path.dirname(file) : cwd, `.open-next.config.${process.pid}.${Date.now()}.mjs`);
  writeFileSync(tmp, compiled);
  let mod: any;
  let tracedFiles: string[] = [];
  try {
    mod = await import(pathToFileURL(tmp).href);
    tracedFiles = traceExternals(binding, tmp, externals);
  } catch (e) {
    if (e instanceof OpenNextError) throw e;
    throw new OpenNextError("ERR_CONFIG", `${file ?? "default config"} failed to evaluate: ${(e as Error)?.stack ?? e}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  const config = mod.default;
  if (!config || typeof config !== "object") {
    throw new OpenNextError("ERR_CONFIG", `${file} must \`export default\` the config object (use defineConfig({...}))`);
  }
  const serialized = await serializeOverrides(config, "");
  return { config, serialized, compiled, file, tracedFiles };
}
