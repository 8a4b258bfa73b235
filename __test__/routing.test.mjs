// Differential test of the Rust router against Next's own reference
// implementation, `@next/routing`'s resolveRoutes(), on the routing tables the
// Deployment Adapter API gives for real fixture builds: thousands of generated
// requests (paths, headers, cookies, hosts, locales), zero differences allowed.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { repoRoot } from "./helpers/util.mjs";

const require = createRequire(import.meta.url);
const { Router } = require(path.join(repoRoot, "index.js"));
const { resolveRoutes } = require("@next/routing");

const REQUESTS = Number(process.env.ROUTING_REQUESTS ?? 3000);

/** Builds the fixture with our adapter unless its adapter output is there already. */
function adapterOutput(dir) {
  const file = path.join(dir, ".next/open-next-adapter.json");
  if (!existsSync(file)) {
    const r = spawnSync(process.execPath, [path.join(dir, "node_modules/next/dist/bin/next"), "build"], {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        NEXT_ADAPTER_PATH: path.join(repoRoot, "adapter/index.cjs"),
        NEXT_PRIVATE_STANDALONE: "true",
        NEXT_TELEMETRY_DISABLED: "1",
      },
    });
    assert.equal(r.status, 0, `next build failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
  }
  return readFileSync(file, "utf8");
}

// Deterministic PRNG (mulberry32).
function rng(seed) {
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

function generate(seed, buildId, basePath, pathnames) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const out = [];
  for (let i = 0; i < REQUESTS; i++) {
    let p;
    const mode = r();
    if (mode < 0.25) {
      p = pick(pathnames);
    } else if (mode < 0.35) {
      const id = r() < 0.8 ? buildId : "wrong-build";
      p = `${basePath}/_next/data/${id}/${Array.from({ length: Math.floor(r() * 3) }, () => pick(WORDS)).join("/") || "index"}.json`;
    } else {
      const n = Math.floor(r() * 4);
      p = `/${Array.from({ length: n }, () => pick(WORDS)).join("/")}`;
      if (basePath && r() < 0.7) p = basePath + (p === "/" ? "" : p);
    }
    if (r() < 0.2) p += "/";
    if (r() < 0.05) p = p.replace("/", "//");
    if (r() < 0.1) p = p.toUpperCase();
    const q = Array.from({ length: Math.floor(r() * 3) }, () => pick(QUERIES)).join("&");
    const url = `http://${pick(HOSTS)}${p}${q ? `?${q}` : ""}`;
    const headers = [];
    for (const [name, values] of HEADER_CHOICES) if (r() < 0.2) headers.push([name, pick(values)]);
    out.push({ url, headers });
  }
  return out;
}

function normalizeReference(r) {
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

const ALL_KINDS = ["redirect", "external", "dynamic", "route", "no route"];
for (const [name, seed, expectedKinds] of [
  ["routing-i18n", 1, ALL_KINDS],
  ["routing-basepath", 2, ALL_KINDS],
  ["next16", 3, ALL_KINDS.filter((k) => k !== "external")],
]) {
  describe(`router vs @next/routing: ${name}`, { timeout: 600_000 }, () => {
    let spec;
    let router;
    before(() => {
      spec = JSON.parse(Router.specFromAdapterOutput(adapterOutput(path.join(repoRoot, "__test__/fixtures", name))));
      router = new Router(JSON.stringify(spec));
    });

    test(`${REQUESTS} generated requests decide the same`, async () => {
      const requests = generate(seed, spec.buildId, spec.basePath, spec.pathnames);
      let compared = 0;
      let referenceThrew = 0;
      const diffs = [];
      for (const req of requests) {
        let expected;
        try {
          expected = normalizeReference(
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
        } catch {
          referenceThrew++;
          continue;
        }
        const actual = JSON.parse(JSON.stringify(router.resolve(req.url, req.headers)));
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
      assert.ok(compared > REQUESTS * 0.95, `compared ${compared}, reference threw on ${referenceThrew}`);
    });

    test("the generated requests exercise every kind of decision", () => {
      const kinds = new Set();
      for (const req of generate(seed, spec.buildId, spec.basePath, spec.pathnames)) {
        const r = router.resolve(req.url, req.headers);
        const location = r.resolvedHeaders?.some(([k]) => k === "location");
        if (r.redirect || (r.status >= 300 && r.status < 400 && location)) kinds.add("redirect");
        else if (r.externalRewrite) kinds.add("external");
        else if (r.routeMatches) kinds.add("dynamic");
        else if (r.resolvedPathname) kinds.add("route");
        else kinds.add("no route");
      }
      for (const k of expectedKinds) assert.ok(kinds.has(k), `some request gives a ${k} decision (got ${[...kinds].join(", ")})`);
    });
  });
}

test("a route regex the router cannot run is refused when the table is compiled", () => {
  const spec = { buildId: "b", beforeMiddleware: [{ sourceRegex: "^/(unclosed$" }] };
  assert.throws(
    () => new Router(JSON.stringify(spec)),
    /ERR_ROUTING: routes\.beforeMiddleware\[0\]\.sourceRegex `\^\/\(unclosed\$` is not a regular expression we can run/,
  );
});
