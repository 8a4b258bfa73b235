// 4. HTTP requests per second through the server function on loopback (wrk), and
// 5. cold start (process start to the end of the first response), ours against the
// same app built by @opennextjs/aws. Both run `node .../server-functions/default/index.mjs`
// with cwd = the function directory (as in Lambda), the node wrapper/converter and
// the fs-dev caches, bound to 127.0.0.1.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePort, get, log, median, startServer, stats, work } from "./lib.mjs";

const entryOf = (outDir) => path.join(outDir, "server-functions/default/index.mjs");

/** Status of each URL on a running server. */
async function statuses(base, urls) {
  const out = {};
  for (const u of urls) {
    try {
      out[u] = (await get(base + u)).status;
    } catch (e) {
      out[u] = `error: ${e.message}`;
    }
  }
  return out;
}

function wrk(base, paths, { duration, connections }) {
  mkdirSync(work, { recursive: true });
  const script = path.join(work, `wrk-${process.pid}.lua`);
  writeFileSync(
    script,
    `local paths = ${JSON.stringify(paths).replace(/^\[/, "{").replace(/\]$/, "}")}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`,
  );
  const r = spawnSync("wrk", ["-t1", `-c${connections}`, `-d${duration}s`, "--timeout", "10s", "--latency", "-s", script, base], {
    encoding: "utf8",
    timeout: (duration + 30) * 1000,
  });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  const out = r.stdout;
  const unit = (v, u) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[u] ?? 1);
  const lat = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(out);
    return m ? unit(m[1], m[2]) : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    errors: /Socket errors:.*/.exec(out)?.[0] ?? "",
    p50: lat(50),
    p99: lat(99),
  };
}

/**
 * Requests/second for each tool's output on the same URL mixes.
 * outputs: `{ ours: dir|null, opennext: dir|null }` (the `.open-next` directories).
 */
export async function runHttp(app, outputs, { runs = 5, duration = 10, connections = 16 } = {}) {
  const tools = Object.entries(outputs).filter(([, d]) => d);
  const servers = {};
  const result = { scenarios: [], servers: {}, excluded: {}, statuses: {} };
  try {
    for (const [name, dir] of tools) {
      const port = await freePort();
      try {
        servers[name] = await startServer(entryOf(dir), { port, url: `http://127.0.0.1:${port}/` });
        servers[name].base = `http://127.0.0.1:${port}`;
      } catch (e) {
        result.servers[name] = { error: e.message.split("\n").slice(0, 8).join("\n") };
        log(`${app.size}: ${name} server failed to start: ${e.message}`);
      }
    }
    const live = Object.keys(servers);
    for (const name of live) result.statuses[name] = await statuses(servers[name].base, app.urls);
    // Only URLs every server answers with 2xx, so both serve the same work.
    const ok = app.urls.filter((u) => live.every((n) => typeof result.statuses[n][u] === "number" && result.statuses[n][u] < 300));
    for (const u of app.urls) if (!ok.includes(u)) result.excluded[u] = Object.fromEntries(live.map((n) => [n, result.statuses[n][u]]));
    const scenarios = [
      { name: `mixed: ${ok.length} URLs (prerendered, ISR, SSR, dynamic, API; both routers)`, paths: ok },
      { name: "one prerendered app page (/a/static-0)", paths: ok.includes("/a/static-0") ? ["/a/static-0"] : [] },
      { name: "one API route (/api/p-0, pages router)", paths: ok.includes("/api/p-0") ? ["/api/p-0"] : [] },
    ].filter((s) => s.paths.length);
    // Warm up: every URL a few times on each server.
    for (const name of live) for (let k = 0; k < 3; k++) await statuses(servers[name].base, ok);
    for (const sc of scenarios) {
      const per = Object.fromEntries(live.map((n) => [n, []]));
      for (let i = 0; i < runs; i++) {
        for (const name of live) {
          log(`${app.size}: wrk ${name} "${sc.name.slice(0, 40)}" run ${i + 1}/${runs}`);
          per[name].push(wrk(servers[name].base, sc.paths, { duration, connections }));
        }
      }
      result.scenarios.push({
        name: sc.name,
        tools: Object.fromEntries(
          live.map((n) => [
            n,
            {
              rps: stats(per[n].map((r) => r.rps)),
              p50: median(per[n].map((r) => r.p50)),
              p99: median(per[n].map((r) => r.p99)),
              non2xx: per[n].reduce((a, r) => a + r.non2xx, 0),
              errors: per[n].map((r) => r.errors).filter(Boolean),
            },
          ]),
        ),
      });
    }
    for (const name of live) result.servers[name] = { peakRssMb: servers[name].peakRssMb() };
  } finally {
    for (const s of Object.values(servers)) await s.stop();
  }
  return result;
}

/** Process start to the end of the first response for `/`, alternating the tools. */
export async function runColdStart(app, outputs, { runs = 5, url = "/" } = {}) {
  const tools = Object.entries(outputs).filter(([, d]) => d);
  const res = Object.fromEntries(tools.map(([n]) => [n, { ms: [], rss: [], status: null, error: null }]));
  for (let i = 0; i < runs + 1; i++) {
    for (const [name, dir] of tools) {
      if (res[name].error) continue;
      const port = await freePort();
      try {
        const s = await startServer(entryOf(dir), { port, url: `http://127.0.0.1:${port}${url}`, timeoutMs: 120_000 });
        const rss = s.peakRssMb();
        await s.stop();
        // The first round only warms the page cache.
        if (i > 0) {
          res[name].ms.push(s.firstResponseMs);
          res[name].rss.push(rss);
        }
        res[name].status = s.firstStatus;
      } catch (e) {
        res[name].error = e.message.split("\n").slice(0, 8).join("\n");
      }
    }
  }
  return Object.fromEntries(Object.entries(res).map(([n, r]) => [n, { ...r, ms: stats(r.ms), rss: stats(r.rss) }]));
}
