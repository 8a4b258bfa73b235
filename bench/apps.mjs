// Prepares the generated benchmark apps: generate sources, `npm install`, and
// `next build` once (standalone output); the .next/ is cached under
// bench/.work/apps/<size>/ and reused until the generated sources change.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { appHash, countFiles, generate, NEXT_VERSION, routeCount, SIZES, sampleUrls } from "./gen.mjs";
import { log, measure, root, sh, work } from "./lib.mjs";

export const appsDir = path.join(work, "apps");

/**
 * Returns the app for `size`, building it first when needed:
 * `{ size, dir, routes, prerendered, standaloneFiles, nextBuild: {s, rssMb, cached}, urls }`.
 */
export async function prepareApp(size, { adapter = false } = {}) {
  if (!SIZES[size]) throw new Error(`unknown size "${size}" (sizes: ${Object.keys(SIZES).join(", ")})`);
  const dir = path.join(appsDir, adapter ? `${size}-adapter` : size);
  const stampFile = path.join(dir, ".bench-stamp.json");
  // The adapter variant is rebuilt when our adapter module changes too.
  const hash = adapter
    ? `${appHash(size)}-${createHash("sha256")
        .update(readFileSync(path.join(root, "adapter/index.cjs")))
        .digest("hex")
        .slice(0, 8)}`
    : appHash(size);
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampFile, "utf8"));
  } catch {}
  const fresh =
    stamp?.hash === hash &&
    existsSync(path.join(dir, ".next/standalone")) &&
    existsSync(path.join(dir, ".next/BUILD_ID")) &&
    (!adapter || existsSync(path.join(dir, ".next/open-next-adapter.json"))) &&
    stamp?.next === NEXT_VERSION;
  if (!fresh) {
    mkdirSync(dir, { recursive: true });
    log(`${size}: generating ${routeCount(size)} routes in ${dir}`);
    generate(size, dir);
    rmSync(stampFile, { force: true });
    if (
      !existsSync(path.join(dir, "node_modules/next/package.json")) ||
      JSON.parse(readFileSync(path.join(dir, "node_modules/next/package.json"), "utf8")).version !== NEXT_VERSION
    ) {
      log(`${size}: npm install`);
      sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
    }
    rmSync(path.join(dir, ".next"), { recursive: true, force: true });
    log(
      `${size}: next build${adapter ? " with our Deployment Adapter" : ""} (standalone; cached afterwards; the large app takes many minutes on 2 cores)`,
    );
    // A plain standalone build, as OpenNext runs it: both tools then read the same .next/.
    // The adapter variant (a second copy of the app) is what `open-next build` itself runs
    // on Next >= 16.2; it gives the routing table our Router compiles.
    const r = await measure(process.execPath, [path.join(dir, "node_modules/next/dist/bin/next"), "build"], {
      cwd: dir,
      env: {
        NEXT_PRIVATE_STANDALONE: "true",
        NEXT_TELEMETRY_DISABLED: "1",
        ...(adapter ? { NEXT_ADAPTER_PATH: path.join(root, "adapter/index.cjs") } : {}),
      },
      timeoutMs: 4 * 3_600_000,
    });
    stamp = { hash, next: NEXT_VERSION, nextBuildS: r.s, nextBuildRssMb: r.rssMb, builtAt: new Date().toISOString() };
    writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
    log(`${size}: next build took ${r.s.toFixed(1)} s, peak RSS ${r.rssMb.toFixed(0)} MiB`);
  }
  if (adapter) log(`${size}: adapter build ready`);
  const pm = JSON.parse(readFileSync(path.join(dir, ".next/prerender-manifest.json"), "utf8"));
  return {
    size,
    adapter,
    dir,
    routes: routeCount(size),
    prerendered: Object.keys(pm.routes ?? {}).length,
    standaloneFiles: countFiles(path.join(dir, ".next/standalone")),
    nextBuild: { s: stamp.nextBuildS, rssMb: stamp.nextBuildRssMb, cached: fresh, builtAt: stamp.builtAt },
    urls: sampleUrls(size),
  };
}
