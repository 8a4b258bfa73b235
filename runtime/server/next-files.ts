/**
 * Reads what the runtime needs from the function directory's `.next/`
 * (Next's standalone output) and from the installed `next` package.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { NextConfig, PrerenderManifest } from "../types/next.ts";

export interface NextFiles {
  /** The server function directory (holds `index.mjs`, `.next/`, `node_modules/`). */
  functionDir: string;
  /** `<functionDir>/.next` (or the configured distDir). */
  distDir: string;
  /** `required-server-files.json#config`: Next's serialized config. */
  config: NextConfig;
  /** `.next/BUILD_ID`. */
  buildId: string;
  /** `deploymentId ?? BUILD_ID`: the prefix of cache keys. */
  cacheBuildId: string;
  prerenderManifest: PrerenderManifest | undefined;
  /** Pages served as plain `.html` files (pages-manifest entries ending in `.html`). */
  htmlPages: Set<string>;
  /** Routes of the Pages Router (`pages-manifest.json`). */
  pagesRoutes: Set<string>;
  /** The installed Next.js version. */
  nextVersion: string;
  /** The app router has a not-found page (`/_not-found`), rendered for 404s. */
  hasAppNotFound: boolean;
  /** The app has middleware (edge, or Node.js / `proxy.ts`). */
  hasMiddleware: boolean;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function readJsonIfExists<T>(file: string): T | undefined {
  try {
    return readJson<T>(file);
  } catch (e: any) {
    if (e?.code === "ENOENT") return undefined;
    throw e;
  }
}

/** Loads the files once per function directory. */
export function loadNextFiles(functionDir: string): NextFiles {
  const rsf = readJson<{ config: NextConfig; appDir?: string; relativeAppDir?: string }>(
    path.join(functionDir, ".next", "required-server-files.json"),
  );
  const config = rsf.config ?? {};
  const distDir = path.join(functionDir, typeof config.distDir === "string" ? config.distDir : ".next");
  const buildId = fs.readFileSync(path.join(distDir, "BUILD_ID"), "utf8").trim();
  const prerenderManifest = readJsonIfExists<PrerenderManifest>(path.join(distDir, "prerender-manifest.json"));
  const pagesManifest = readJsonIfExists<Record<string, string>>(path.join(distDir, "server", "pages-manifest.json")) ?? {};
  const htmlPages = new Set(
    Object.entries(pagesManifest)
      .filter(([, file]) => typeof file === "string" && file.endsWith(".html"))
      .map(([route]) => route),
  );
  const appPaths = readJsonIfExists<Record<string, string>>(path.join(distDir, "app-path-routes-manifest.json")) ?? {};
  const hasAppNotFound = Object.values(appPaths).includes("/_not-found");
  const edgeMiddleware = readJsonIfExists<{ middleware?: object }>(path.join(distDir, "server/middleware-manifest.json"))?.middleware;
  const functionsConfig = readJsonIfExists<{ functions?: object }>(path.join(distDir, "server/functions-config-manifest.json"))?.functions;
  const hasMiddleware = Object.keys(edgeMiddleware ?? {}).length > 0 || Object.hasOwn(functionsConfig ?? {}, "/_middleware");
  const require = createRequire(path.join(functionDir, "index.mjs"));
  let nextVersion = "0.0.0";
  try {
    nextVersion = (require("next/package.json") as { version: string }).version;
  } catch {
    // Resolved lazily by Next itself; keep the fallback.
  }
  const deploymentId = typeof config.deploymentId === "string" && config.deploymentId ? config.deploymentId : undefined;
  return {
    functionDir,
    distDir,
    config,
    buildId,
    cacheBuildId: deploymentId ?? buildId,
    prerenderManifest,
    htmlPages,
    pagesRoutes: new Set(Object.keys(pagesManifest)),
    nextVersion,
    hasAppNotFound,
    hasMiddleware,
  };
}

const ROUTE_CACHE_PREFIX = /^\/?route-cache\/(?:PAGES|APP_PAGE|APP_ROUTE)\/[0-9a-f]{64}\/\$(?=\/)/;

/**
 * The pathname of a cache key: `/route-cache/<kind>/<sha256>/$/blog/a` (Next
 * 15.5.27+ and 16.3.8+) or a plain `/blog/a` (older), with Next's page-path
 * normalisation undone (`/index` → `/`, `/index/index/x` → `/index/x`).
 */
export function pathFromCacheKey(key: string): string {
  let p = key.replace(ROUTE_CACHE_PREFIX, "");
  if (!p.startsWith("/")) p = `/${p}`;
  if (p === "/index") return "/";
  if (p.startsWith("/index/") && !/\/\[[^/]+?\](?=\/|$)/.test(p)) return p.slice("/index".length);
  return p;
}

/** Looks up `initialRevalidateSeconds` of the prerender manifest route a cache key belongs to. */
export function initialRevalidateLookup(files: NextFiles): (key: string) => number | false | undefined {
  const routes = files.prerenderManifest?.routes ?? {};
  return (key) => {
    const route = routes[pathFromCacheKey(key)];
    const v = route?.initialRevalidateSeconds;
    return typeof v === "number" || v === false ? v : undefined;
  };
}
