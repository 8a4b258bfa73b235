// Diagnostic: the generated-request comparison with `next start` of
// `__test__/routing-e2e.test.mjs`, for any fixture, printing how many requests
// differ and the first ones.
// `--external-middleware` builds with `middleware: { external: true }` and sends the
// requests through the CloudFront stand-in (`__test__/helpers/cloudfront.mjs`).
//   node scripts/routing-vs-next-start.mjs [routing-i18n,routing-basepath,routing-combo,next16,next15] [--count 400] [--seed 7] [--external-middleware]
import { diffWithNextStart } from "../__test__/helpers/next-start-diff.mjs";

const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
const count = value("--count", 400);
const seed = value("--seed", 7);
const BASE_PATHS = { "routing-i18n": "", "routing-basepath": "/base", "routing-combo": "/base", next16: "", next15: "" };
const only = args.find((a, i) => !a.startsWith("--") && !["--count", "--seed"].includes(args[i - 1]))?.split(",");
let total = 0;
for (const name of only ?? Object.keys(BASE_PATHS)) {
  const { sent, diffs } = await diffWithNextStart(name, {
    basePath: BASE_PATHS[name] ?? "",
    seeds: [seed],
    count,
    externalMiddleware: args.includes("--external-middleware"),
  });
  total += diffs.length;
  console.log(`${name}: ${diffs.length} of ${sent} requests differ`);
  for (const d of diffs.slice(0, 20)) console.log(`  ${JSON.stringify(d)}`);
}
process.exitCode = total ? 1 : 0;
