/**
 * The native addons, per platform (napi-rs's names: `linux-x64-gnu`,
 * `linux-arm64-gnu`, `darwin-arm64`, …).
 *
 * Each platform package `open-next-rs-<target>` holds three: the build tool
 * (`open-next.<target>.node`, loaded here through `index.js`), and the two that
 * functions ship, the Router (`open-next-runtime.<target>.node`) and the image
 * stage (`open-next-image.<target>.node`). npm installs only the package of the
 * build machine, but a Lambda function also needs the other architecture's
 * runtime addons: they come from the installed package, from a source checkout's
 * own build, or from the registry (`npm pack`, kept in `~/.cache/open-next-rs/`).
 * The build (Rust, `targets.rs`) picks each function's targets among them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

/** Every platform a package is published for. */
export const TARGETS = [
  "linux-x64-gnu",
  "linux-arm64-gnu",
  "linux-x64-musl",
  "linux-arm64-musl",
  "darwin-x64",
  "darwin-arm64",
  "win32-x64-msvc",
] as const;

const ADDON_FILE = /^open-next-(runtime|image)\.([a-z0-9-]+)\.node$/;

/** The napi-rs name of the platform this process runs on. */
export function hostTarget(): string {
  const { platform, arch } = process;
  if (platform === "linux") {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return `linux-${arch}-${report?.header?.glibcVersionRuntime ? "gnu" : "musl"}`;
  }
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The platform package of a target. */
export function platformPackage(target: string): string {
  return `open-next-rs-${target}`;
}

/**
 * Loads the build addon through napi-rs's `index.js`; when no binary fits, the
 * error names this platform and the package that would provide it.
 */
export function loadBuildAddon<T>(packageRoot: string): T {
  const require = createRequire(path.join(packageRoot, "package.json"));
  try {
    return require("./index.js") as T;
  } catch (e) {
    const target = hostTarget();
    const known = (TARGETS as readonly string[]).includes(target);
    throw new Error(
      known
        ? `open-next-rs has no native addon for this machine (${target}): the optional dependency ${platformPackage(target)} ` +
            `is not installed. Reinstall without --no-optional / --omit=optional, or run \`npm install ${platformPackage(target)}\`. ` +
            `(${(e as Error).message.split("\n")[0]})`
        : `open-next-rs has no native addon for ${target}; it is built for ${TARGETS.join(", ")}.`,
    );
  }
}

/** The Lambda targets each function config asks for (`install.arch` / `install.libc`), plus this machine's. */
export function wantedTargets(config: Record<string, any>): Set<string> {
  const wanted = new Set<string>([hostTarget()]);
  for (const section of [config.default, config.imageOptimization, config.middleware]) {
    const install = section?.install ?? {};
    const libc = install.libc === "musl" ? "musl" : "gnu";
    const archs = install.arch === "x64" || install.arch === "arm64" ? [install.arch] : ["x64", "arm64"];
    for (const arch of archs) wanted.add(`linux-${arch}-${libc}`);
  }
  return wanted;
}

function addonsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => ADDON_FILE.test(f))
    .map((f) => path.join(dir, f));
}

function cacheDir(version: string, target: string): string {
  const base = process.env.OPEN_NEXT_RS_CACHE ?? path.join(os.homedir(), ".cache/open-next-rs");
  return path.join(base, "addons", version, target);
}

/**
 * Downloads a platform package with `npm pack` and keeps its runtime addons in
 * the cache (written to a temporary folder, then renamed into place). Returns
 * why it could not, or `undefined`.
 */
function fetchTarget(target: string, version: string): string | undefined {
  const dest = cacheDir(version, target);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "open-next-rs-addon-"));
  try {
    const spec = `${platformPackage(target)}@${version}`;
    const out = execFileSync("npm", ["pack", spec, "--pack-destination", tmp, "--loglevel=error"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    const tarball = path.join(tmp, out.trim().split("\n").pop() ?? "");
    execFileSync("tar", ["-xzf", tarball, "-C", tmp], { stdio: "ignore" });
    const files = addonsIn(path.join(tmp, "package"));
    if (files.length === 0) return `${spec} has no runtime addons`;
    mkdirSync(path.dirname(dest), { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(path.join(tmp, "package"), dest);
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    // npm's first error lines (`code E404`, `404 Not Found - GET …`), without the pointer to its log file.
    const lines = (err.stderr ?? "").split("\n").filter((l) => l.trim() && !/complete log of this run/.test(l));
    return (lines.slice(0, 2).join(" ") || err.message).slice(0, 300);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The runtime addons the build can ship: those at the package root (a source
 * checkout's own build), in installed platform packages and in the cache. An
 * installed package fetches the `wanted` targets it lacks from the registry;
 * `notes` gets why one could not be had (the build then warns or fails with the
 * function that needs it).
 */
export function runtimeAddons(packageRoot: string, wanted: Set<string>, notes: string[] = []): string[] {
  const version = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")).version as string;
  const require = createRequire(path.join(packageRoot, "package.json"));
  const found = new Map<string, string>();
  const add = (files: string[]) => {
    for (const f of files) if (!found.has(path.basename(f))) found.set(path.basename(f), f);
  };
  add(addonsIn(packageRoot));
  for (const target of TARGETS) {
    try {
      add(addonsIn(path.dirname(require.resolve(`${platformPackage(target)}/package.json`))));
    } catch {
      // Not installed.
    }
    add(addonsIn(cacheDir(version, target)));
  }
  const has = (target: string) => found.has(`open-next-runtime.${target}.node`) && found.has(`open-next-image.${target}.node`);
  // A source checkout builds its own (`scripts/build-runtime-addon.mjs`); its version is not published.
  const sourceCheckout = existsSync(path.join(packageRoot, "Cargo.toml"));
  for (const target of wanted) {
    if (has(target) || sourceCheckout || !(TARGETS as readonly string[]).includes(target)) continue;
    const why = fetchTarget(target, version);
    if (why) notes.push(`could not fetch ${platformPackage(target)}@${version} from the registry: ${why}`);
    add(addonsIn(cacheDir(version, target)));
  }
  return [...found.values()];
}
