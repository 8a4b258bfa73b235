// The routing table derived from the `.next` manifests (`Router.specFromManifests`,
// what builds without the Deployment Adapter ship) against Next's own conversion:
// on Next 16 fixtures the table must equal the one the adapter API hands us and,
// on thousands of generated requests, our router on it must decide exactly what
// `@next/routing`'s resolveRoutes() decides on the adapter's tables. On the Next
// 15.5 fixture (no adapter API) the converted table is checked against
// `@next/routing` on that same table, so the 15.5 manifest shapes are covered too.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { adapterOutput, buildFixture, assertSameAsReference, generate, REQUESTS } from "./helpers/routing-requests.mjs";
import { repoRoot } from "./helpers/util.mjs";

const require = createRequire(import.meta.url);
const { Router } = require(path.join(repoRoot, "index.js"));

const fixture = (name) => path.join(repoRoot, "__test__/fixtures", name);

// Words of the next15/next16 fixtures' routes, on top of the shared vocabulary.
const APP_WORDS = [
  "old-home",
  "temp-redirect",
  "has-query",
  "rewrite-before",
  "rewrite-after",
  "rewrite-api",
  "fallback-rewrite",
  "app-dyn",
  "app-catch",
  "app-opt",
  "app-ssg",
  "app-isr",
  "posts",
  "pages-ssg",
  "pages-static",
  "fallback-false",
  "one",
  "2",
];
const APP_QUERIES = ["go=yes", "before=1"];

/** Compares our router on `ours` with `@next/routing` on `reference`; returns counts. */
async function compare(ours, reference, seed) {
  const router = new Router(JSON.stringify(ours));
  const requests = generate(seed, reference.buildId, reference.basePath, reference.pathnames, {
    extraWords: APP_WORDS,
    extraQueries: APP_QUERIES,
  });
  return assertSameAsReference(router, reference, requests);
}

/** A readable list of where two specs differ (empty when equal). */
function specDifferences(a, b) {
  const out = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) === JSON.stringify(b[k])) continue;
    if (Array.isArray(a[k]) && Array.isArray(b[k])) {
      for (let i = 0; i < Math.max(a[k].length, b[k].length); i++) {
        if (JSON.stringify(a[k][i]) !== JSON.stringify(b[k][i])) {
          out.push(`${k}[${i}]: manifests ${JSON.stringify(a[k][i])}, adapter ${JSON.stringify(b[k][i])}`);
        }
      }
    } else {
      out.push(`${k}: manifests ${JSON.stringify(a[k])}, adapter ${JSON.stringify(b[k])}`);
    }
  }
  return out;
}

const ALL_KINDS = ["redirect", "external", "dynamic", "route", "no route"];
for (const [name, seed, expectedKinds] of [
  ["next16", 11, ALL_KINDS.filter((k) => k !== "external")],
  ["routing-i18n", 12, ALL_KINDS],
  ["routing-basepath", 13, ALL_KINDS],
]) {
  describe(`manifest routing table vs the adapter's: ${name}`, { timeout: 600_000 }, () => {
    let fromAdapter;
    let fromManifests;
    before(() => {
      const dir = fixture(name);
      fromAdapter = JSON.parse(Router.specFromAdapterOutput(adapterOutput(dir)));
      fromManifests = JSON.parse(Router.specFromManifests(path.join(dir, ".next")));
    });

    test("the converted table is the adapter's table", () => {
      const diffs = specDifferences(fromManifests, fromAdapter);
      assert.deepEqual(diffs, [], `the tables differ:\n${diffs.join("\n")}`);
    });

    test(`${REQUESTS} generated requests decide as @next/routing does on the adapter's tables`, async () => {
      const { kinds } = await compare(fromManifests, fromAdapter, seed);
      for (const k of expectedKinds) assert.ok(kinds.has(k), `some request gives a ${k} decision (got ${[...kinds].join(", ")})`);
    });
  });
}

describe("manifest routing table on Next 15.5: next15", { timeout: 600_000 }, () => {
  let spec;
  before(() => {
    const dir = fixture("next15");
    if (!existsSync(path.join(dir, ".next/routes-manifest.json"))) buildFixture(dir, { adapter: false });
    spec = JSON.parse(Router.specFromManifests(path.join(dir, ".next")));
  });

  test("the table has every phase of the fixture's config", () => {
    assert.equal(spec.beforeMiddleware.filter((r) => r.status).length, 4, "the trailing-slash redirect and 3 redirects");
    assert.equal(spec.beforeMiddleware.filter((r) => !r.status).length, 2, "2 header routes");
    // The external rewrite's port is the e2e upstream's, baked in when the fixture was built.
    assert.deepEqual(
      spec.afterFiles.map((r) => r.destination.replace(/^http:\/\/127\.0\.0\.1:\d+\//, "http://127.0.0.1:<port>/")),
      ["/posts/$1", "/api/hello?from=rewrite", "http://127.0.0.1:<port>/$1"],
    );
    assert.ok(spec.dynamicRoutes.some((r) => r.destination?.startsWith("/app-dyn/[slug]")));
    assert.ok(spec.pathnames.includes("/app-ssg") && spec.pathnames.includes("/pages-static"));
  });

  test(`${REQUESTS} generated requests decide as @next/routing does on the same table`, async () => {
    const { kinds } = await compare(spec, spec, 14);
    for (const k of ALL_KINDS.filter((k) => k !== "external")) {
      assert.ok(kinds.has(k), `some request gives a ${k} decision (got ${[...kinds].join(", ")})`);
    }
  });
});

test("a manifest route we cannot convert or run fails at build time, naming the route", () => {
  const dist = mkdtempSync(path.join(tmpdir(), "routing-manifests-"));
  try {
    const write = (redirects) => {
      writeFileSync(path.join(dist, "BUILD_ID"), "b");
      writeFileSync(path.join(dist, "required-server-files.json"), JSON.stringify({ config: { basePath: "" } }));
      writeFileSync(path.join(dist, "prerender-manifest.json"), JSON.stringify({ routes: {}, dynamicRoutes: {}, preview: {} }));
      writeFileSync(
        path.join(dist, "routes-manifest.json"),
        JSON.stringify({ redirects, headers: [], rewrites: [], dynamicRoutes: [], dataRoutes: [] }),
      );
    };
    write([{ source: "/a/:x([a-)", destination: "/b", statusCode: 307 }]);
    assert.throws(
      () => Router.specFromManifests(dist),
      /ERR_ROUTING: routes\.beforeMiddleware\[0\]\.sourceRegex `.*\[a-.*` is not a regular expression we can run/,
    );
    write([{ source: "/a/:x(\\d+", destination: "/b", statusCode: 307 }]);
    assert.throws(() => Router.specFromManifests(dist), /ERR_ROUTING: `\/a\/:x\(\\d\+`: Unbalanced pattern/);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});
