// Differential test of the Rust router against Next's own reference
// implementation, `@next/routing`'s resolveRoutes(), on the routing tables the
// Deployment Adapter API gives for real fixture builds: thousands of generated
// requests (paths, headers, cookies, hosts, locales), zero differences allowed.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { adapterOutput, assertSameAsReference, decisionKind, generate, REQUESTS, routerDecision } from "./helpers/routing-requests.mjs";
import { repoRoot } from "./helpers/util.mjs";

const require = createRequire(import.meta.url);
const { Router } = require(path.join(repoRoot, "index.js"));

const ALL_KINDS = ["redirect", "external", "dynamic", "route", "no route"];
for (const [name, seed, expectedKinds] of [
  ["routing-i18n", 1, ALL_KINDS],
  ["routing-basepath", 2, ALL_KINDS],
  // basePath + trailingSlash + i18n with a domain + middleware.
  ["routing-combo", 4, ALL_KINDS.filter((k) => k !== "external")],
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
      await assertSameAsReference(router, spec, requests);
    });

    test("the generated requests exercise every kind of decision", () => {
      const kinds = new Set();
      for (const req of generate(seed, spec.buildId, spec.basePath, spec.pathnames)) {
        kinds.add(decisionKind(routerDecision(router, req)));
      }
      for (const k of expectedKinds) assert.ok(kinds.has(k), `some request gives a ${k} decision (got ${[...kinds].join(", ")})`);
    });

    test("resolve(), resolveJson() and resolvePacked() give the same decision", () => {
      let withHeaders = 0;
      for (const req of generate(seed + 1, spec.buildId, spec.basePath, spec.pathnames, { count: 500 })) {
        const packed = req.headers.map(([k, v]) => `${k}\0${v}`).join("\0");
        withHeaders += req.headers.length > 0 ? 1 : 0;
        const answers = [
          router.resolve(req.url, req.headers),
          JSON.parse(router.resolveJson(req.url, req.headers)),
          JSON.parse(router.resolvePacked(req.url, packed)),
        ];
        // Middleware decisions carry a token per call; free them all.
        for (const a of answers) {
          if (a.token !== undefined) {
            router.resume(a.token, {});
            delete a.token;
          }
        }
        const [object, json, fromPacked] = answers.map((a) => JSON.parse(JSON.stringify(a)));
        assert.deepEqual(object, json, req.url);
        assert.deepEqual(fromPacked, json, req.url);
      }
      assert.ok(withHeaders > 100, `only ${withHeaders} generated requests had headers`);
    });

    test("only the headers in requestHeaderNames decide (the runtime passes just those)", () => {
      const names = new Set(router.requestHeaderNames);
      for (const n of names) assert.equal(n, n.toLowerCase());
      let dropped = 0;
      for (const req of generate(seed + 2, spec.buildId, spec.basePath, spec.pathnames, { count: 500 })) {
        const headers = [...req.headers, ["user-agent", "Mozilla/5.0 (X11; Linux x86_64)"], ["accept", "text/html"]];
        const kept = headers.filter(([k]) => names.has(k.toLowerCase()));
        dropped += headers.length - kept.length;
        const [all, some] = [headers, kept].map((h) => {
          const a = JSON.parse(router.resolvePacked(req.url, h.map(([k, v]) => `${k}\0${v}`).join("\0")));
          if (a.token !== undefined) {
            router.resume(a.token, {});
            delete a.token;
            // The middleware call carries the headers it was given; the runtime hands middleware all of them.
            delete a.middleware.headers;
          }
          return a;
        });
        assert.deepEqual(some, all, req.url);
      }
      assert.ok(dropped > 1000, `only ${dropped} headers were left out`);
    });
  });
}

test("requestHeaderNames lists the headers of has/missing conditions, cookie and, under i18n, accept-language", () => {
  const spec = {
    buildId: "b",
    basePath: "",
    beforeMiddleware: [{ sourceRegex: "^/a$", has: [{ type: "header", key: "X-Variant" }], missing: [{ type: "cookie", key: "seen" }] }],
    afterFiles: [
      {
        sourceRegex: "^/b$",
        destination: "/c",
        has: [
          { type: "query", key: "q" },
          { type: "host", value: "h" },
        ],
      },
    ],
    pathnames: ["/c"],
  };
  assert.deepEqual(new Router(JSON.stringify(spec)).requestHeaderNames, ["cookie", "x-variant"]);
  assert.deepEqual(new Router(JSON.stringify({ ...spec, beforeMiddleware: [] })).requestHeaderNames, []);
  const i18n = { locales: ["en", "de"], defaultLocale: "en" };
  assert.deepEqual(new Router(JSON.stringify({ ...spec, beforeMiddleware: [], i18n })).requestHeaderNames, ["accept-language", "cookie"]);
});

test("packed headers that do not pair up are refused with ERR_ROUTING", () => {
  const router = new Router(JSON.stringify({ buildId: "b", basePath: "", middlewareMatchers: [], pathnames: ["/x"] }));
  assert.throws(() => router.resolvePacked("http://h/", "host\0h\0accept"), /ERR_ROUTING: packed headers must alternate names and values/);
  assert.equal(JSON.parse(router.resolvePacked("http://h/x", "")).resolvedPathname, "/x");
});

test("a route regex the router cannot run is refused when the table is compiled", () => {
  const spec = { buildId: "b", beforeMiddleware: [{ sourceRegex: "^/(unclosed$" }] };
  assert.throws(
    () => new Router(JSON.stringify(spec)),
    /ERR_ROUTING: routes\.beforeMiddleware\[0\]\.sourceRegex `\^\/\(unclosed\$` is not a regular expression we can run/,
  );
});
