// Builds the addons functions ship, and places them at the package root, where
// `open-next build` finds them (js/addons.ts):
// - `open-next-runtime.<target>.node` (crates/runtime-napi: the Router only, no swc), in every
//   server function and in external middleware;
// - `open-next-image.<target>.node` (crates/image-napi: the image stage), in the image function
//   and in self-hosted server functions, which answer `/_next/image` themselves.
// `<target>` is napi-rs's platform name (`linux-x64-gnu`, `linux-arm64-gnu`, ...).
// Usage: node scripts/build-runtime-addon.mjs [ci|release] [--target <rust triple>] [--zig]
// `--zig` builds with cargo-zigbuild (PyPI: ziglang, cargo-zigbuild), which can
// target an older glibc: `--target aarch64-unknown-linux-gnu.2.17`.
// Cross-building linux-arm64 from x64 uses Debian's gcc-aarch64-linux-gnu as the
// linker (scripts/system-deps.sh installs it).
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const profile = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--target") ?? "ci";
const targetIdx = args.indexOf("--target");
const zigTarget = targetIdx >= 0 ? args[targetIdx + 1] : undefined;
const zig = args.includes("--zig");
// cargo-zigbuild's glibc suffix (`.2.17`) is not part of the output folder's name.
const target = zigTarget?.replace(/\.\d+\.\d+$/, "");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/open-next/target");

/** napi-rs's platform name and the library file name pattern of a Rust target triple. */
function platformOf(triple) {
  if (!triple) {
    const { platform, arch } = process;
    if (platform === "linux")
      return { name: `linux-${arch}-${process.report.getReport().header.glibcVersionRuntime ? "gnu" : "musl"}`, lib: "lib{}.so" };
    if (platform === "darwin") return { name: `darwin-${arch}`, lib: "lib{}.dylib" };
    return { name: `win32-${arch}-msvc`, lib: "{}.dll" };
  }
  const arch = triple.startsWith("aarch64") ? "arm64" : triple.startsWith("x86_64") ? "x64" : undefined;
  if (!arch) throw new Error(`unsupported target ${triple}`);
  if (triple.includes("-linux-")) return { name: `linux-${arch}-${triple.endsWith("musl") ? "musl" : "gnu"}`, lib: "lib{}.so" };
  if (triple.includes("-apple-")) return { name: `darwin-${arch}`, lib: "lib{}.dylib" };
  if (triple.includes("-windows-")) return { name: `win32-${arch}-msvc`, lib: "{}.dll" };
  throw new Error(`unsupported target ${triple}`);
}

const env = { ...process.env, CARGO_TARGET_DIR: targetDir };
if (target?.endsWith("-musl")) {
  // A Node addon links musl dynamically (a static musl target cannot produce a cdylib).
  env[`CARGO_TARGET_${target.toUpperCase().replaceAll("-", "_")}_RUSTFLAGS`] ??= "-C target-feature=-crt-static";
}
if (!zig && target === "aarch64-unknown-linux-gnu" && process.arch !== "arm64") {
  env.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER ??= "aarch64-linux-gnu-gcc";
  env.CC_aarch64_unknown_linux_gnu ??= "aarch64-linux-gnu-gcc";
}
// A release build optimises the Router for size and the image stage for speed (see Cargo.toml).
const addons = [
  {
    pkg: "open_next_runtime_napi",
    crate: "open_next_runtime",
    name: "open-next-runtime",
    profile: profile === "release" ? "release-runtime" : profile,
  },
  { pkg: "open_next_image_napi", crate: "open_next_image_addon", name: "open-next-image", profile },
];
for (const p of new Set(addons.map((a) => a.profile))) {
  const packages = addons.filter((a) => a.profile === p).flatMap((a) => ["-p", a.pkg]);
  const cargoArgs = [zig ? "zigbuild" : "build", "--quiet", "--profile", p, ...packages];
  if (zigTarget) cargoArgs.push("--target", zig ? zigTarget : target);
  const r = spawnSync("cargo", cargoArgs, { cwd: root, stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const { name: platform, lib } = platformOf(target);
for (const { crate, name, profile: p } of addons) {
  const outDir = path.join(targetDir, ...(target ? [target] : []), p === "dev" ? "debug" : p);
  const dest = path.join(root, `${name}.${platform}.node`);
  // A new file, not a write into the old one: functions built earlier hard-link it.
  rmSync(dest, { force: true });
  copyFileSync(path.join(outDir, lib.replace("{}", crate)), dest);
  console.log(`addon: ${path.relative(root, dest)} (${(statSync(dest).size / 1e6).toFixed(2)} MB)`);
}
