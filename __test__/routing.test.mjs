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

    test("resolve() and resolveJson() give the same decision", () => {
      for (const req of generate(seed + 1, spec.buildId, spec.basePath, spec.pathnames, { count: 500 })) {
        const object = router.resolve(req.url, req.headers);
        const json = JSON.parse(router.resolveJson(req.url, req.headers));
        // Middleware decisions carry a token per call; free both.
        if (object.token !== undefined) {
          router.resume(object.token, {});
          router.resume(json.token, {});
          delete object.token;
          delete json.token;
        }
        assert.deepEqual(JSON.parse(JSON.stringify(object)), json, req.url);
      }
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
