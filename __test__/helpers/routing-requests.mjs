// Shared by the routing differential tests: builds fixture apps, generates
// deterministic requests (paths, headers, cookies, hosts, locales) and runs
// Next's reference router, `@next/routing`'s resolveRoutes(), on a spec.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { repoRoot } from "./util.mjs";

const require = createRequire(import.meta.url);
const { resolveRoutes } = require("@next/routing");

export const REQUESTS = Number(process.env.ROUTING_REQUESTS ?? 3000);

/** Runs `next build` in a fixture (standalone; with our adapter when `adapter`). */
export function buildFixture(dir, { adapter = true } = {}) {
  const r = spawnSync(process.execPath, [path.join(dir, "node_modules/next/dist/bin/next"), "build"], {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      ...(adapter ? { NEXT_ADAPTER_PATH: path.join(repoRoot, "adapter/index.cjs") } : {}),
      NEXT_PRIVATE_STANDALONE: "true",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  assert.equal(r.status, 0, `next build failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
}

/** Builds the fixture with our adapter unless its adapter output is there already. */
export function adapterOutput(dir) {
  const file = path.join(dir, ".next/open-next-adapter.json");
  if (!existsSync(file)) buildFixture(dir);
  return readFileSync(file, "utf8");
}

// Deterministic PRNG (mulberry32).
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "about",
  "old-about",
  "old-blog",
  "blog",
  "hello",
  "bonjour",
  "docs",
  "a",
  "b",
  "shop",
  "api",
  "search",
  "catch",
  "proxy",
  "hdr",
  "bf",
  "123",
  "article",
  "go",
  "with-header",
  "with-cookie",
  "with-query",
  "with-host",
  "unless-header",
  "no-locale",
  "external-redirect",
  "fr",
  "en",
  "de-DE",
  "nl-nl",
  "EN",
  "_next",
  "data",
  "static",
  "chunks",
  "x.json",
  "index.json",
  "robots.txt",
  "%20",
  "%E2%9C%93",
  "%zz",
  "..",
  ".",
  "items",
  "r",
  "legacy",
  "outside",
  "no-base",
  "app-page",
  "base",
  "favicon.ico",
  "page-2",
  "file.txt",
  "ABOUT",
  "Blog",
  "a.rsc",
  "x.segments",
  "_tree.segment.rsc",
  ".well-known",
  "1",
  "",
];
const QUERIES = [
  "page=2",
  "page=x",
  "preview=1",
  "nocache=1",
  "a=1&a=2",
  "from=q",
  "who=x",
  "q=%20x+y",
  "__nextDataReq=1",
  "_rsc=abc",
  "slug=z",
];
const HOSTS = ["localhost:3000", "example.fr", "admin.example.com", "EXAMPLE.fr", "127.0.0.1:3000"];
const HEADER_CHOICES = [
  ["x-redirect-me", ["yes", "no", "please", ""]],
  ["x-skip", ["1"]],
  ["x-variant", ["a", "b", "c"]],
  [
    "cookie",
    [
      "session=1",
      "theme=dark",
      "theme=blue; session=",
      "NEXT_LOCALE=fr",
      "NEXT_LOCALE=de-de",
      "NEXT_LOCALE=xx",
      "NEXT_LOCALE=%E0",
      "a=%zz; NEXT_LOCALE=nl-NL",
    ],
  ],
  ["accept-language", ["fr-FR,fr;q=0.9", "de", "nl-NL;q=0.8,en;q=0.5", "*", "es", "de-CH, en;q=0", "fr;q=abc,nl"]],
  ["rsc", ["1"]],
  ["next-router-prefetch", ["1"]],
  ["x-nextjs-data", ["1"]],
];

/**
 * `count` requests from `seed`; `extraWords`/`extraQueries` widen the vocabulary
 * for a fixture (the default vocabulary is the one `routing.test.mjs` was tuned on).
 */
export function generate(seed, buildId, basePath, pathnames, { extraWords = [], extraQueries = [], count = REQUESTS } = {}) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const words = extraWords.length ? [...WORDS, ...extraWords] : WORDS;
  const queries = extraQueries.length ? [...QUERIES, ...extraQueries] : QUERIES;
  const out = [];
  for (let i = 0; i < count; i++) {
    let p;
    const mode = r();
    if (mode < 0.25) {
      p = pick(pathnames);
    } else if (mode < 0.35) {
      const id = r() < 0.8 ? buildId : "wrong-build";
      p = `${basePath}/_next/data/${id}/${Array.from({ length: Math.floor(r() * 3) }, () => pick(words)).join("/") || "index"}.json`;
    } else {
      const n = Math.floor(r() * 4);
      p = `/${Array.from({ length: n }, () => pick(words)).join("/")}`;
      if (basePath && r() < 0.7) p = basePath + (p === "/" ? "" : p);
    }
    if (r() < 0.2) p += "/";
    if (r() < 0.05) p = p.replace("/", "//");
    if (r() < 0.1) p = p.toUpperCase();
    const q = Array.from({ length: Math.floor(r() * 3) }, () => pick(queries)).join("&");
    const url = `http://${pick(HOSTS)}${p}${q ? `?${q}` : ""}`;
    const headers = [];
    for (const [name, values] of HEADER_CHOICES) if (r() < 0.2) headers.push([name, pick(values)]);
    out.push({ url, headers });
  }
  return out;
}

export function normalizeReference(r) {
  const o = {};
  if (r.middlewareResponded) o.middlewareResponded = true;
  if (r.externalRewrite) o.externalRewrite = r.externalRewrite.href;
  if (r.redirect) o.redirect = { url: r.redirect.url.href, status: r.redirect.status };
  if (r.resolvedPathname !== undefined) o.resolvedPathname = r.resolvedPathname;
  if (r.resolvedQuery) o.resolvedQuery = r.resolvedQuery;
  if (r.invocationTarget) o.invocationTarget = r.invocationTarget;
  if (r.resolvedHeaders) o.resolvedHeaders = [...r.resolvedHeaders];
  if (r.status !== undefined) o.status = r.status;
  if (r.routeMatches) o.routeMatches = r.routeMatches;
  return JSON.parse(JSON.stringify(o));
}

/** `@next/routing`'s decision for a generated request on `spec`, normalised like `Router.resolve`'s. */
export async function referenceDecision(spec, req) {
  return normalizeReference(
    await resolveRoutes({
      url: new URL(req.url),
      buildId: spec.buildId,
      basePath: spec.basePath,
      requestBody: new ReadableStream(),
      headers: new Headers(req.headers),
      pathnames: spec.pathnames,
      i18n: spec.i18n ?? undefined,
      routes: { ...spec, caseSensitive: spec.caseSensitive },
      invokeMiddleware: async () => ({}),
    }),
  );
}

/**
 * `Router.resolveJson` parsed (the same decision `Router.resolve` gives as an object); when middleware must run, resumes with an
 * empty outcome (what `invokeMiddleware: async () => ({})` gives the reference).
 */
export function routerDecision(router, req) {
  // `resolveJson` is what the runtime calls on every request.
  let r = JSON.parse(router.resolveJson(req.url, req.headers));
  if (r.middleware) r = router.resume(r.token, {});
  return JSON.parse(JSON.stringify(r));
}

/** The kind of a `Router.resolve` decision. */
export function decisionKind(r) {
  const location = r.resolvedHeaders?.some(([k]) => k === "location");
  if (r.redirect || (r.status >= 300 && r.status < 400 && location)) return "redirect";
  if (r.externalRewrite) return "external";
  if (r.routeMatches) return "dynamic";
  if (r.resolvedPathname) return "route";
  return "no route";
}

/**
 * Decides `requests` with `router` and with `@next/routing` on `reference`, and
 * fails on the first difference (with how many differ) or when the reference
 * threw on more than 5% of them. Returns the number compared and the kinds of
 * decision seen.
 */
export async function assertSameAsReference(router, reference, requests) {
  let compared = 0;
  let referenceThrew = 0;
  const diffs = [];
  const kinds = new Set();
  for (const req of requests) {
    let expected;
    try {
      expected = await referenceDecision(reference, req);
    } catch {
      referenceThrew++;
      continue;
    }
    const actual = routerDecision(router, req);
    kinds.add(decisionKind(actual));
    compared++;
    try {
      assert.deepStrictEqual(actual, expected);
    } catch {
      diffs.push({ req, expected, actual });
    }
  }
  if (diffs.length) {
    const d = diffs[0];
    assert.fail(
      `${diffs.length}/${compared} requests differ; first:\n${JSON.stringify(d.req)}\nexpected ${JSON.stringify(d.expected, null, 1)}\nactual ${JSON.stringify(d.actual, null, 1)}`,
    );
  }
  assert.ok(compared > requests.length * 0.95, `compared ${compared}, reference threw on ${referenceThrew}`);
  return { compared, kinds };
}
