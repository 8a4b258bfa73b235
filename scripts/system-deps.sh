#!/usr/bin/env bash
# Debian packages the build and the tests need, installed when missing:
# - nasm, for the SIMD code of mozjpeg in the image stage (crates/image);
# - the linux-arm64 cross toolchain and emulator, for the arm64 addons that every
#   Lambda function carries: gcc-aarch64-linux-gnu (the linker), the arm64 C++
#   runtime (a sysroot for Node under emulation) and qemu-user-static, plus the
#   Rust std for aarch64-unknown-linux-gnu. These are optional: without them the
#   arm64 tests are skipped with the reason printed.
set -euo pipefail
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
need=()
command -v nasm >/dev/null || need+=(nasm)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cross=()
command -v aarch64-linux-gnu-gcc >/dev/null || cross+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || cross+=(libstdc++6-arm64-cross)
command -v qemu-aarch64-static >/dev/null || cross+=(qemu-user-static)
if [ ${#cross[@]} -gt 0 ]; then
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${cross[@]}" >/dev/null; } ||
    echo "system-deps: could not install ${cross[*]}; the linux-arm64 tests will be skipped" >&2
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 ||
    echo "system-deps: could not add the aarch64-unknown-linux-gnu Rust target; the linux-arm64 tests will be skipped" >&2
fi
