// Shared helpers for the integration tests: running the CLI, free ports,
// starting servers on 127.0.0.1 that are always stopped, and HTTP requests.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Every function the tests start checks its build's require map against Node's
// own resolution and throws on a difference (runtime/server/resolutions.ts).
process.env.OPEN_NEXT_VERIFY_RESOLUTIONS ??= "1";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "bin/open-next.mjs");
/** This checkout's image addon for this machine (what `open-next preview` lends an arm64-only image function). */
export const hostImageAddon = path.join(repoRoot, `open-next-image.linux-${process.arch}-gnu.node`);

/** Runs the open-next CLI synchronously in `cwd`. */
export function runCli(args, cwd, env = {}) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address();
  srv.close();
  await once(srv, "close");
  return port;
}

const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
}
process.on("exit", killAll);

/** Starts a long-running process in its own process group; resolves once `url` answers. */
export async function startServer(cmd, args, { cwd, env = {}, url, timeoutMs = 60_000 }) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(" ")} exited with ${child.exitCode}:\n${log}`);
    try {
      await request(url, { timeoutMs: 2000 });
      break;
    } catch {
      if (Date.now() > deadline) {
        stop();
        throw new Error(`${cmd} did not answer ${url} within ${timeoutMs} ms:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  function stop() {
    children.delete(child);
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  }
  return { child, stop, log: () => log };
}

/**
 * Calls `read` until `done(value)` holds or `timeoutMs` passes; returns the last value.
 * For state written after the response has gone out (work the handler finishes
 * before it returns, while the client already has the whole body).
 */
export async function eventually(read, done, { timeoutMs = 5000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Sends one HTTP request; resolves with status, headers and body (Buffer). */
export function request(url, { method = "GET", headers = {}, body, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout ${method} ${url}`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Starts the CloudFront stand-in (`helpers/cloudfront.mjs`) running the external
 * middleware built in `appDir`, forwarding to the server function on 127.0.0.1:`originPort`.
 * Resolves once `<base>/` answers; `.base` is its URL.
 */
export async function startCloudFront(appDir, originPort, { basePath = "", eventType = "origin-request" } = {}) {
  const port = await freePort();
  const edge = await startServer(
    process.execPath,
    [path.join(repoRoot, "__test__/helpers/cloudfront.mjs"), path.join(appDir, ".open-next/middleware/handler.mjs")],
    {
      cwd: appDir,
      env: {
        PORT: String(port),
        CF_EVENT_TYPE: eventType,
        OPEN_NEXT_ORIGIN: JSON.stringify({ default: { host: "127.0.0.1", port: originPort, protocol: "http" } }),
      },
      url: `http://127.0.0.1:${port}${basePath}/`,
    },
  );
  edge.base = `http://127.0.0.1:${port}`;
  edge.port = port;
  return edge;
}
