// Writes each fixture's output.json from @vercel/nft (the reference tracer).
// Review every change by hand before committing it: output.json is what the
// Rust fixture test (crates/trace/tests/fixtures.rs) expects.
//
// usage: node __test__/trace/update-outputs.mjs [FIXTURE...]
import { readdirSync, readFileSync, existsSync, writeFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { nodeFileTrace } from "@vercel/nft";

const root = import.meta.dirname;
const only = process.argv.slice(2);

for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (name.startsWith(".") || name === "node_modules" || !statSync(dir).isDirectory()) continue;
  if (only.length && !only.includes(name)) continue;
  const optsFile = join(dir, "options.json");
  const opts = existsSync(optsFile) ? JSON.parse(readFileSync(optsFile, "utf8")) : {};
  const entry = join(dir, opts.entry ?? "input.js");
  const nftOpts = { base: dir };
  if (opts.processCwd) nftOpts.processCwd = resolve(dir, opts.processCwd);
  if (opts.ignore) nftOpts.ignore = opts.ignore;
  if (opts.conditions) nftOpts.conditions = ["node", ...opts.conditions];
  const r = await nodeFileTrace([entry], nftOpts);
  const files = [...r.fileList].sort();
  writeFileSync(join(dir, "output.json"), `${JSON.stringify(files, null, 2)}\n`);
  console.log(`${name}: ${files.length} files, ${r.warnings.size} warnings`);
}
