// Shared helpers of the benchmark harness: running and measuring processes,
// statistics, servers on 127.0.0.1 that always stop, versions and machine facts.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "..");
export const work = path.join(here, ".work");
export const cliPath = path.join(root, "bin/open-next.mjs");
export const openNextAwsBin = path.join(here, "node_modules/@opennextjs/aws/dist/index.js");
/** Preload that binds servers which listen on a bare port to 127.0.0.1 (OpenNext's node wrapper listens on all interfaces). */
export const loopbackPreload = path.join(here, "loopback.mjs");

export const NODE_OVERRIDES = `{ wrapper: "node", converter: "node", incrementalCache: "fs-dev", tagCache: "fs-dev", queue: "direct" }`;

/**
 * The request headers in `names` (the router's `requestHeaderNames`) packed as
 * `Router.resolvePacked` takes them, the way the runtime packs them per request
 * (`packHeaders` in runtime/routing/router.ts).
 */
export function packRoutingHeaders(headers, names) {
  let out = "";
  for (const k in headers) {
    const name = k.toLowerCase();
    if (names.has(name)) out += out === "" ? `${name}\0${headers[k]}` : `\0${name}\0${headers[k]}`;
  }
  return out;
}

export function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Runs a command synchronously; throws with its output on failure. */
export function sh(cmd, argv, cwd, env = {}, { timeoutMs = 3_600_000 } = {}) {
  const r = spawnSync(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 256 << 20,
    timeout: timeoutMs,
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${argv.join(" ")} failed in ${cwd} (status ${r.status}${r.signal ? `, ${r.signal}` : ""}):\n${tail(r.stdout)}\n${tail(r.stderr)}`,
    );
  return r;
}

export function tail(s, n = 40) {
  return String(s ?? "")
    .split("\n")
    .slice(-n)
    .join("\n");
}

/**
 * Runs `cmd argv` under GNU time and resolves with wall seconds, peak RSS (MiB; the
 * largest single process of the tree, as getrusage reports it), stdout and the
 * arrival time (ms since spawn) of every stdout line, for per-phase breakdowns.
 */
export function measure(cmd, argv, { cwd, env = {}, timeoutMs = 1_800_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn("/usr/bin/time", ["-f", "__TIME__ %e %M", cmd, ...argv], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const lines = [];
    let out = "";
    let partial = "";
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      const t = performance.now() - t0;
      out += d;
      const parts = (partial + d).split("\n");
      partial = parts.pop();
      for (const p of parts) lines.push({ t, line: p });
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      if (partial) lines.push({ t: wallMs, line: partial });
      const m = /__TIME__ ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) {
        const e = new Error(`${path.basename(cmd)} ${argv.join(" ")} failed (exit ${code}) in ${cwd}:\n${tail(out)}\n${tail(err)}`);
        e.stdout = out;
        e.stderr = err;
        return reject(e);
      }
      resolve({ s: wallMs / 1000, rssMb: Number(m[2]) / 1024, stdout: out, stderr: err, lines, wallMs });
    });
  });
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const min = (xs) => Math.min(...xs.filter((x) => Number.isFinite(x)));
export const max = (xs) => Math.max(...xs.filter((x) => Number.isFinite(x)));

/** `{min, median, max, n}` of a list of numbers. */
export function stats(xs) {
  return { min: min(xs), median: median(xs), max: max(xs), n: xs.length, all: xs };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** One HTTP GET on loopback; resolves with status, headers and body length. */
export function get(url, { timeoutMs = 30_000, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, headers, agent: false }, (res) => {
      let n = 0;
      res.on("data", (c) => (n += c.length));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, bytes: n }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
    req.on("error", reject);
  });
}

const children = new Set();
function killChildren() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
}
process.on("exit", killChildren);
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    killChildren();
    process.exit(130);
  });

/**
 * Starts a server function (`node <entry>`) on 127.0.0.1:`port` in its own process
 * group, with `cwd` = the function directory (as in Lambda). Resolves once `url`
 * answered, with the time from spawn to the end of that first response.
 */
export async function startServer(entry, { port, url, env = {}, timeoutMs = 120_000 }) {
  const cwd = path.dirname(entry);
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", `file://${loopbackPreload}`, entry], {
    cwd,
    env: { ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d) => (output = tail(output + d, 60)));
  child.stderr.on("data", (d) => (output = tail(output + d, 60)));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        children.delete(child);
        return resolve();
      }
      child.once("exit", () => {
        children.delete(child);
        resolve();
      });
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, 3000).unref();
    });
  const deadline = t0 + timeoutMs;
  let first;
  for (;;) {
    if (child.exitCode !== null) {
      children.delete(child);
      throw new Error(`server ${entry} exited with ${child.exitCode}:\n${output}`);
    }
    try {
      first = await get(url, { timeoutMs: 60_000 });
      break;
    } catch (e) {
      if (performance.now() > deadline) {
        await stop();
        throw new Error(`server ${entry} did not answer ${url} within ${timeoutMs} ms (${e.message}):\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  const firstResponseMs = performance.now() - t0;
  /** Peak RSS of the server process so far (MiB), from /proc. */
  const peakRssMb = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : NaN;
    } catch {
      return NaN;
    }
  };
  return { child, stop, firstResponseMs, firstStatus: first.status, peakRssMb, output: () => output };
}

export function versionOf(pkgJson) {
  try {
    return JSON.parse(readFileSync(pkgJson, "utf8")).version;
  } catch {
    return "not installed";
  }
}

export function machine() {
  const cpus = os.cpus();
  let commit = "unknown";
  let dirty = false;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).trim() !== "";
  } catch {}
  let nativeVersion = "unknown";
  try {
    nativeVersion = execFileSync(
      process.execPath,
      ["-e", `process.stdout.write(require(${JSON.stringify(path.join(root, "index.js"))}).nativeVersion())`],
      {
        encoding: "utf8",
      },
    );
  } catch {}
  return {
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    cores: cpus.length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ours: `${versionOf(path.join(root, "package.json"))} (native ${nativeVersion}, git ${commit}${dirty ? " + uncommitted changes" : ""})`,
    opennext: versionOf(path.join(here, "node_modules/@opennextjs/aws/package.json")),
    esbuild: versionOf(path.join(here, "node_modules/esbuild/package.json")),
    nextRouting: versionOf(path.join(root, "node_modules/@next/routing/package.json")),
    sharp: versionOf(path.join(here, "node_modules/sharp/package.json")),
    nft:
      [path.join(here, "node_modules/@vercel/nft/package.json"), path.join(root, "__test__/trace/node_modules/@vercel/nft/package.json")]
        .filter(existsSync)
        .map(versionOf)[0] ?? "not installed",
    wrk: (() => {
      try {
        const r = spawnSync("wrk", ["-v"], { encoding: "utf8" });
        if (r.error) return "not installed";
        return /wrk (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? "installed";
      } catch {
        return "not installed";
      }
    })(),
  };
}

export const fmtS = (s) => (!Number.isFinite(s) ? "—" : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
export const fmtMs = (ms) => (!Number.isFinite(ms) ? "—" : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtMb = (mb) => (!Number.isFinite(mb) ? "—" : mb.toFixed(0));
export const fmtX = (x) => (!Number.isFinite(x) ? "—" : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);
export function fmtBytes(b) {
  if (!Number.isFinite(b)) return "—";
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}
