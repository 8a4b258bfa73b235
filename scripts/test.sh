#!/usr/bin/env bash
# The whole test suite: builds the addon and JS, checks generated files and
# formatting, runs the Rust unit tests and the Node integration tests (which build
# the fixture apps with the real `next` and send them real HTTP requests).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/open-next/target}"
export NEXT_TELEMETRY_DISABLED=1
export NEXT_IGNORE_INCORRECT_LOCKFILE=1

step() { printf '\n==> %s\n' "$*"; }

# `npm install`, not `npm ci`: lockfiles here cannot list other platforms'
# optional packages (the registry on this machine only serves some of them).
step "install JS dependencies"
npm install --no-audit --no-fund --loglevel=error

step "install moto (S3, DynamoDB and SQS for the AWS tests)"
python3 -c "import moto.server" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check "moto[server]"

step "install system packages (nasm, the linux-arm64 cross toolchain and qemu)"
bash scripts/system-deps.sh

step "build the native addon and the JS"
npm run build --silent
if ! git diff --quiet -- index.js index.d.ts; then
  git --no-pager diff --stat -- index.js index.d.ts
  echo "index.js / index.d.ts are out of date: run 'npm run build' and commit them" >&2
  exit 1
fi

step "cross-build the linux-arm64 runtime addons"
# Every Lambda function carries them (crates/core/src/targets.rs); __test__/arm64.test.mjs
# runs them under qemu. Kept in the same cached target dir, under aarch64-unknown-linux-gnu/.
if command -v aarch64-linux-gnu-gcc >/dev/null && rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  node scripts/build-runtime-addon.mjs ci --target aarch64-unknown-linux-gnu
else
  echo "skipped: no aarch64-linux-gnu-gcc or aarch64-unknown-linux-gnu Rust target (scripts/system-deps.sh installs them)"
fi

step "format and lint"
cargo fmt --all --check
cargo clippy --profile ci --workspace --all-targets --quiet -- -D warnings
npx biome format js runtime bin scripts __test__/*.mjs __test__/helpers __test__/trace/*.mjs bench >/dev/null

step "Rust unit tests"
cargo test --profile ci -p open_next_core -p open_next_routing -p open_next_trace -p open_next_image

step "fuzz the router, URL handling and the image stage's decoders (bounded)"
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP enables them on the stable toolchain.
# Each target grows fuzz/corpus/<target> (gitignored); fuzz/seeds/<target>, when there
# is one, adds small valid files to start from (for images: one of each format and variant).
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
(cd fuzz && for target in router url image; do
  mkdir -p "corpus/$target"
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-fuzz" cargo fuzz run -O "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=1 2>&1 | grep -E "Done [0-9]+ runs|ERROR|panicked" || exit 1
done)

step "install fixture apps"
# `npm install`, not `npm ci`: the lockfiles cannot list the non-Linux @next/swc-*
# optional packages (the registry here only serves the Linux ones).
export PATH="$PWD/node_modules/.bin:$PATH" # pnpm from our devDependencies
for app in __test__/fixtures/*/ examples/basic/; do
  if [ -f "$app/pnpm-workspace.yaml" ]; then
    (cd "$app" && pnpm install --frozen-lockfile --reporter=silent)
  else
    (cd "$app" && npm install --no-audit --no-fund --loglevel=error)
  fi
done

step "integration tests"
node --test --test-concurrency=1 --test-reporter=spec __test__/
