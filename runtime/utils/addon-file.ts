/**
 * The file of a native addon shipped next to a function's `index.mjs` for the
 * machine it runs on: `<stem>.<target>.node`, with napi-rs's platform names
 * (`linux-arm64-gnu`, `linux-x64-musl`, `darwin-arm64`, `win32-x64-msvc`). A
 * function may ship several targets (a Lambda function carries x64 and arm64).
 */
import fs from "node:fs";
import path from "node:path";

/** The names this machine's addon may have, most likely first. */
export function addonTargets(platform: string = process.platform, arch: string = process.arch): string[] {
  if (platform === "linux") return [`linux-${arch}-gnu`, `linux-${arch}-musl`];
  if (platform === "win32") return [`win32-${arch}-msvc`];
  return [`${platform}-${arch}`];
}

/**
 * The addon `stem` in `dir` for this machine, or `undefined` when the function has none.
 * A function that ships `stem` for other machines only (the image function is arm64 by
 * default) may take this machine's from `OPEN_NEXT_PREVIEW_ADDONS`, the addon files
 * `open-next preview` lends it (separated by the path delimiter).
 */
export function findAddon(dir: string, stem: string): string | undefined {
  for (const target of addonTargets()) {
    const file = path.join(dir, `${stem}.${target}.node`);
    if (fs.existsSync(file)) return file;
  }
  const lent = process.env.OPEN_NEXT_PREVIEW_ADDONS;
  if (!lent || shippedTargets(dir, stem).length === 0) return undefined;
  const files = lent.split(path.delimiter);
  for (const target of addonTargets()) {
    const file = files.find((f) => path.basename(f) === `${stem}.${target}.node`);
    if (file && fs.existsSync(file)) return file;
  }
  return undefined;
}

/** The targets of the `stem` addons `dir` ships (for error messages). */
export function shippedTargets(dir: string, stem: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${stem}.`) && f.endsWith(".node"))
    .map((f) => f.slice(stem.length + 1, -".node".length));
}

/** Why a function cannot run here: it ships no `stem` addon for this machine. */
export function missingAddonError(dir: string, what: string, stem: string): Error {
  const shipped = shippedTargets(dir, stem);
  return new Error(
    `open-next: this function has no ${what} addon for ${addonTargets()[0]} (it ships one for ${shipped.join(", ") || "no platform"}). ` +
      "Deploy it on an architecture it ships (open-next.output.json lists them under `architectures`), or rebuild it " +
      `for this one: set the function's \`install.arch\` to "${process.arch}".`,
  );
}
