// Compiles js/*.ts to dist/*.mjs with our own native type stripper, rewriting
// relative `.ts` imports to `.mjs`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { stripTypes } = createRequire(import.meta.url)(path.join(root, "index.js"));
const src = path.join(root, "js");
const out = path.join(root, "dist");
mkdirSync(out, { recursive: true });
for (const f of readdirSync(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))) {
  const code = stripTypes(readFileSync(path.join(src, f), "utf8"), path.join(src, f));
  const fixed = code.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.mjs$2");
  writeFileSync(path.join(out, f.replace(/\.ts$/, ".mjs")), fixed);
}
