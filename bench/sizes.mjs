// 6. Bundle sizes of each function in `.open-next/` for both tools: files, bytes on
// disk (apparent size, symlinks not followed) and a `tar | gzip` size as a proxy for
// the deployment zip.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";

/** Function folders OpenNext can write, in output order. */
export function functionDirs(outDir) {
  const dirs = [];
  const sf = path.join(outDir, "server-functions");
  if (existsSync(sf)) for (const n of readdirSync(sf).sort()) dirs.push(`server-functions/${n}`);
  for (const n of ["middleware", "image-optimization-function", "revalidation-function", "warmer-function", "dynamodb-provider"])
    if (existsSync(path.join(outDir, n))) dirs.push(n);
  return dirs;
}

function walk(dir) {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const r = walk(p);
      files += r.files;
      bytes += r.bytes;
    } else {
      files++;
      bytes += lstatSync(p).size;
    }
  }
  return { files, bytes };
}

function gzipSize(dir) {
  const r = spawnSync("sh", ["-c", 'tar -cf - -C "$1" . | gzip -6 | wc -c', "sh", dir], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

/** `{ [functionDir]: {files, bytes, gzip} }` for one `.open-next` output (null when missing). */
export function measureSizes(outDir) {
  if (!outDir || !existsSync(outDir)) return null;
  const out = {};
  for (const d of functionDirs(outDir)) {
    const full = path.join(outDir, d);
    out[d] = { ...walk(full), gzip: gzipSize(full) };
  }
  out["(whole .open-next)"] = { ...walk(outDir), gzip: NaN };
  return out;
}
