// Generated requests (paths, hosts, headers, cookies, query strings) sent to
// `next start` and to our server function on the same build: status, Location and
// the headers routing sets must be the same for every one. The basePath +
// trailingSlash fixture and the Next 16 and 15.5 fixtures (middleware / proxy.ts,
// rewrites in every phase, both table sources) are held at zero differences; the
// i18n-with-domains fixture is not there yet (`node scripts/routing-vs-next-start.mjs
// routing-i18n` lists what differs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffWithNextStart } from "./helpers/next-start-diff.mjs";

const COUNT = Number(process.env.ROUTING_E2E_REQUESTS ?? 300);

for (const [fixture, basePath] of [
  ["routing-basepath", "/base"],
  ["next16", ""],
  ["next15", ""],
]) {
  test(`same as next start on generated requests: ${fixture}`, { timeout: 900_000 }, async () => {
    const { sent, diffs } = await diffWithNextStart(fixture, { basePath, seeds: [7, 11], count: COUNT });
    assert.equal(sent, 2 * COUNT);
    assert.equal(
      diffs.length,
      0,
      `${diffs.length} of ${sent} differ:\n${diffs
        .slice(0, 10)
        .map((d) => JSON.stringify(d))
        .join("\n")}`,
    );
  });
}
