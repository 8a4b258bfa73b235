// One Lambda instance, for bench/lambda.mjs: imports a function's index.mjs with
// cwd = the function directory (as Lambda's /var/task) and gives its handler API
// Gateway v2 events, one at a time as Lambda does.
//
//   node lambda-child.mjs <fnDir> cold <url>          → {"ms": process start → first result, "status"}
//   node lambda-child.mjs <fnDir> warm <url> <count>  → {"perSecond", "status"} after 50 warm-up events
import path from "node:path";
import { pathToFileURL } from "node:url";
import { apigwV2Event } from "../__test__/helpers/aws-events.mjs";

const [dir, mode, url, count = "0"] = process.argv.slice(2);
process.chdir(dir);
const { handler } = await import(pathToFileURL(path.resolve(dir, "index.mjs")).href);
const context = { awsRequestId: "bench", getRemainingTimeInMillis: () => 30_000, callbackWaitsForEmptyEventLoop: true };
// BENCH_ACCEPT sets the Accept header (the image function negotiates the format from it).
const headers = process.env.BENCH_ACCEPT ? { accept: process.env.BENCH_ACCEPT } : {};
const invoke = () => handler(apigwV2Event({ target: url, headers }), context);
if (mode === "cold") {
  const r = await invoke();
  // performance.now() counts from the process's time origin: its start.
  console.log(JSON.stringify({ ms: performance.now(), status: r.statusCode }));
} else {
  let r;
  for (let i = 0; i < 50; i++) r = await invoke();
  const n = Number(count);
  const t = performance.now();
  for (let i = 0; i < n; i++) r = await invoke();
  console.log(JSON.stringify({ perSecond: (n * 1000) / (performance.now() - t), status: r.statusCode }));
}
process.exit(0);
