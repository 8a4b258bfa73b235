// Builds the addons functions ship, and places them at the package root, where
// `open-next build` finds them:
// - `open-next-runtime.<platform>-<arch>-gnu.node` (crates/runtime-napi: the Router only, no swc), in every
//   server function and in external middleware;
// - `open-next-image.<platform>-<arch>-gnu.node` (crates/image-napi: the image stage), in the image function
//   and in self-hosted server functions, which answer `/_next/image` themselves.
// Usage: node scripts/build-runtime-addon.mjs [ci|release] [--target <rust triple>]
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const profile = args.find((a) => !a.startsWith("--")) ?? "ci";
const targetIdx = args.indexOf("--target");
const target = targetIdx >= 0 ? args[targetIdx + 1] : undefined;
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/open-next/target");

const cargoArgs = ["build", "--quiet", "--profile", profile, "-p", "open_next_runtime_napi", "-p", "open_next_image_napi"];
if (target) cargoArgs.push("--target", target);
const r = spawnSync("cargo", cargoArgs, { cwd: root, stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
if (r.status !== 0) process.exit(r.status ?? 1);

const arch = target ? (target.startsWith("aarch64") ? "arm64" : "x64") : process.arch;
const outDir = path.join(targetDir, ...(target ? [target] : []), profile === "dev" ? "debug" : profile);
for (const [lib, name] of [
  ["libopen_next_runtime.so", "open-next-runtime"],
  ["libopen_next_image_addon.so", "open-next-image"],
]) {
  const dest = path.join(root, `${name}.linux-${arch}-gnu.node`);
  // A new file, not a write into the old one: functions built earlier hard-link it.
  rmSync(dest, { force: true });
  copyFileSync(path.join(outDir, lib), dest);
  console.log(`addon: ${path.relative(root, dest)}`);
}
