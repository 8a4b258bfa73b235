/**
 * Answers the function's `require`s from the map the build wrote
 * (`open-next.resolutions.json` next to `index.mjs`; how it is made:
 * `crates/core/src/resolutions.rs`), so that a cold start does not search the
 * file system for the ~300 modules of Next it loads. A request the map does not
 * hold (a builtin, a computed path, `require.resolve` with `paths`) goes to
 * Node as before, and so does everything when Node preserves symlinks
 * (`--preserve-symlinks`, `NODE_PRESERVE_SYMLINKS=1`).
 *
 * `OPEN_NEXT_VERIFY_RESOLUTIONS=1` asks Node as well and throws on any
 * difference, naming the request, its parent and both answers (the tests run
 * with it).
 */
import { readFileSync, realpathSync } from "node:fs";
import Module from "node:module";
import path from "node:path";
import { debug } from "../utils/logger.ts";

/** The map's file name (`resolutions::FILE_NAME`). */
export const RESOLUTIONS_FILE = "open-next.resolutions.json";

type ResolveFilename = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean, options?: unknown) => string;

let installed = false;

/** Installs the map of `functionDir`, once; without a readable map nothing changes. */
export function installResolutions(functionDir: string): void {
  // The map holds real paths; with symlinks preserved Node names modules by their links.
  const preserve = process.env.NODE_PRESERVE_SYMLINKS === "1" || process.execArgv.includes("--preserve-symlinks");
  if (installed || preserve) return;
  let data: { v?: number; dirs?: Record<string, Record<string, string | [string, string]>> };
  try {
    data = JSON.parse(readFileSync(path.join(functionDir, RESOLUTIONS_FILE), "utf8"));
  } catch {
    return;
  }
  if (data?.v !== 1 || !data.dirs) return;
  installed = true;
  // Node names modules by their real path.
  const base = realpathSync(functionDir);
  // Where `exports` use `module-sync`, Node's answer depends on `require(esm)`: [without, with].
  const requireEsm = (process.features as { require_module?: boolean }).require_module === true ? 1 : 0;
  const byDir = new Map<string, Record<string, string | [string, string]>>();
  for (const [dir, specs] of Object.entries(data.dirs)) byDir.set(path.join(base, dir), specs);
  const M = Module as unknown as { _resolveFilename: ResolveFilename };
  const node = M._resolveFilename;
  const verify = process.env.OPEN_NEXT_VERIFY_RESOLUTIONS === "1";
  M._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    const from = options === undefined && !isMain ? parent?.filename : undefined;
    const entry = from ? byDir.get(path.dirname(from))?.[request] : undefined;
    if (entry === undefined) return node.call(this, request, parent, isMain, options);
    const file = path.join(base, typeof entry === "string" ? entry : entry[requireEsm]);
    if (verify) {
      const expected = node.call(this, request, parent, isMain, options);
      if (expected !== file) {
        throw new Error(`${RESOLUTIONS_FILE}: require("${request}") from ${from} maps to ${file}, Node resolves ${expected}`);
      }
    }
    return file;
  };
  debug(`require map: ${byDir.size} directories`);
}
