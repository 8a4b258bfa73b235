// Runs @vercel/nft and prints its result as JSON in the shape of our `trace` binary.
// usage: node nft-dump.mjs --base DIR [--cwd DIR] [--ignore GLOB]... ENTRY...
import { nodeFileTrace } from "@vercel/nft";

const args = process.argv.slice(2);
const opts = { ignore: [] };
const entries = [];
let quiet = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--base") opts.base = args[++i];
  else if (a === "--cwd") opts.processCwd = args[++i];
  else if (a === "--ignore") opts.ignore.push(args[++i]);
  else if (a === "--quiet") quiet = true;
  else entries.push(a);
}
if (!opts.ignore.length) delete opts.ignore;
const t0 = performance.now();
const r = await nodeFileTrace(entries, opts);
const ms = performance.now() - t0;
if (quiet) {
  console.log(JSON.stringify({ files: r.fileList.size, ms }));
} else {
  const reasons = {};
  for (const f of r.fileList) {
    const e = r.reasons.get(f);
    reasons[f] = { type: [...e.type].sort(), parents: [...e.parents].sort() };
  }
  console.log(
    JSON.stringify({
      fileList: [...r.fileList].sort(),
      reasons,
      esmFileList: [...r.esmFileList].sort(),
      warnings: [...r.warnings].map((w) => ({ message: w.message })),
      ms,
    }),
  );
}
