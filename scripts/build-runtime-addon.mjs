// Builds the runtime addon (crates/runtime-napi: the Router only, no swc) that
// every server function ships, and places it at the package root as
// `open-next-runtime.<platform>-<arch>-gnu.node`, where `open-next build` finds it.
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

const cargoArgs = ["build", "--quiet", "--profile", profile, "-p", "open_next_runtime_napi"];
if (target) cargoArgs.push("--target", target);
const r = spawnSync("cargo", cargoArgs, { cwd: root, stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: targetDir } });
if (r.status !== 0) process.exit(r.status ?? 1);

const arch = target ? (target.startsWith("aarch64") ? "arm64" : "x64") : process.arch;
const built = path.join(targetDir, ...(target ? [target] : []), profile === "dev" ? "debug" : profile, "libopen_next_runtime.so");
const dest = path.join(root, `open-next-runtime.linux-${arch}-gnu.node`);
// A new file, not a write into the old one: functions built earlier hard-link it.
rmSync(dest, { force: true });
copyFileSync(built, dest);
console.log(`runtime addon: ${path.relative(root, dest)}`);
