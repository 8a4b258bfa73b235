/**
 * `open-next preview`: serves a built `.open-next/` locally the way the CDN in
 * front of it would, following `open-next.output.json`:
 *
 * - `behaviors` are tried in order, like CloudFront's cache behaviors, with the
 *   `*` behavior as the default (tried last); patterns are CloudFront path
 *   patterns (`*` any characters, `?` one character, case-sensitive);
 * - an `s3` origin serves files from `.open-next/assets/` (the origin's `cached`
 *   copies); `_next/static/**` is immutable, everything else must revalidate. A
 *   missing file falls through to the default origin, like CloudFront's origin
 *   group;
 * - a `function`/`ecs` origin loads its bundle (`<bundle>/index.mjs`) in this process
 *   with `OPEN_NEXT_PREVIEW=1`, and requests go to the handler it registers in
 *   `globalThis.__OPEN_NEXT_PREVIEW_HANDLERS__[<origin name>]` (node wrapper), or,
 *   for a Lambda function behind API Gateway (`aws-lambda*` wrappers with the
 *   `aws-apigw-v2`/`v1` converters), become that converter's events for its
 *   `handler` export (`lambda-host.ts`), streaming included; the AWS caches use
 *   the environment's AWS settings (`AWS_ENDPOINT_URL` & co.);
 * - a split server function (`functions.<name>`: every server function origin but
 *   the default one) runs in a child `open-next preview` of its own, which the
 *   requests its behaviors match are forwarded to (two Next.js servers cannot
 *   share a process);
 * - `/_next/image` (the `imageOptimizer` origin) goes to the image function (its
 *   `s3`/`s3-lite` loader reads preview's moto, where `assets/` is uploaded, or
 *   `.open-next/assets` without one), else to the default origin, whose server
 *   function runs the same optimizer.
 */
import fs from "node:fs";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { hostTarget, runtimeAddons } from "./addons.ts";
import { API_CONVERTERS, LAMBDA_WRAPPERS, loadLambdaOrigin } from "./lambda-host.ts";
import { prepareAws } from "./preview-aws.ts";

export interface PreviewOptions {
  /** Absolute path of the `.open-next` directory. */
  outputDir: string;
  /** Port to listen on (0 picks a free one). */
  port: number;
  /** Interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /**
   * Serve only this function origin, every request going to it (set through
   * `OPEN_NEXT_PREVIEW_ORIGIN` in the child process a split server function runs in).
   */
  origin?: string;
}

export interface PreviewServer {
  /** `http://<host>:<port>` */
  url: string;
  close(): Promise<void>;
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

interface OutputBehavior {
  pattern: string;
  origin?: string;
  edgeFunction?: string;
}

interface OutputOrigin {
  type: "s3" | "function" | "ecs" | string;
  bundle?: string;
  handler?: string;
  copy?: Array<{ from: string; to: string; cached: boolean; versionedSubDir?: string }>;
  [key: string]: unknown;
}

interface OpenNextOutput {
  origins: Record<string, OutputOrigin>;
  behaviors: OutputBehavior[];
  edgeFunctions?: Record<string, unknown>;
  additionalProps?: Record<string, unknown>;
}

const IMMUTABLE = "public,max-age=31536000,immutable";
const MUST_REVALIDATE = "public,max-age=0,s-maxage=31536000,must-revalidate";
const READY_TIMEOUT_MS = 120_000;

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".cjs": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".csv": "text/csv; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".rsc": "text/x-component",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".bmp": "image/bmp",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".eot": "application/vnd.ms-fontobject",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".ogg": "audio/ogg",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".wasm": "application/wasm",
};

function escapeRegExp(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

/** A CloudFront path pattern as a RegExp over the path without its leading `/`. */
export function patternToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^\/+/, "");
  let re = "";
  for (const ch of p) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += escapeRegExp(ch);
  }
  return new RegExp(`^${re}$`);
}

interface CompiledBehavior {
  behavior: OutputBehavior;
  regexp: RegExp;
}

/** The behaviors in evaluation order: as listed, with the default (`*`) ones last. */
function compileBehaviors(behaviors: OutputBehavior[]): CompiledBehavior[] {
  const isDefault = (b: OutputBehavior) => b.pattern === "*" || b.pattern === "/*";
  return [...behaviors.filter((b) => !isDefault(b)), ...behaviors.filter(isDefault)].map((behavior) => ({
    behavior,
    regexp: patternToRegExp(behavior.pattern),
  }));
}

/** Maps a path of the output file (`.open-next/...`, relative to the app) into `outputDir`. */
function outputPath(outputDir: string, p: string): string {
  const norm = p.replace(/\\/g, "/").replace(/^\.\//, "");
  if (norm === ".open-next" || norm.startsWith(".open-next/")) return path.join(outputDir, norm.slice(".open-next".length));
  return path.resolve(path.dirname(outputDir), norm);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

function waitForHandler(name: string): Promise<NodeHandler> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      const h = (globalThis as { __OPEN_NEXT_PREVIEW_HANDLERS__?: Record<string, NodeHandler> }).__OPEN_NEXT_PREVIEW_HANDLERS__?.[name];
      if (h) return resolve(h);
      if (Date.now() - started > READY_TIMEOUT_MS) {
        return reject(new Error(`server function "${name}" did not register a preview handler within ${READY_TIMEOUT_MS / 1000}s`));
      }
      setTimeout(check, 25);
    };
    check();
  });
}

export async function startPreview(opts: PreviewOptions): Promise<PreviewServer> {
  const outputDir = path.resolve(opts.outputDir);
  const host = opts.host ?? "127.0.0.1";
  const outputFile = path.join(outputDir, "open-next.output.json");
  let output: OpenNextOutput;
  try {
    output = JSON.parse(fs.readFileSync(outputFile, "utf8")) as OpenNextOutput;
  } catch (e: any) {
    throw Object.assign(new Error(`cannot read ${outputFile}: ${e?.message ?? e} (run \`open-next build\` first)`), {
      code: "ERR_PREVIEW_OUTPUT",
    });
  }
  const origins = output.origins ?? {};
  const behaviors = compileBehaviors(output.behaviors ?? []);
  const defaultOrigin = behaviors.find((b) => b.behavior.pattern === "*" || b.behavior.pattern === "/*")?.behavior.origin ?? "default";

  // Directories of each s3 origin's cached copies.
  const assetDirs = new Map<string, string[]>();
  for (const [name, origin] of Object.entries(origins)) {
    if (origin.type !== "s3") continue;
    const dirs = (origin.copy ?? []).filter((c) => c.cached).map((c) => outputPath(outputDir, c.from));
    assetDirs.set(name, dirs.length > 0 ? dirs : [path.join(outputDir, "assets")]);
  }

  // AWS caches: the environment's services, or a local moto (before any function loads).
  // A split function's process gets them from its parent's environment.
  const aws = opts.origin
    ? { startDrain: () => {}, stop: async () => {} }
    : await prepareAws(outputDir, origins as Record<string, any>, output.additionalProps ?? {});
  // Split server functions (every server function origin but the default one) run in a
  // process of their own, as on AWS: two Next.js servers cannot share one process.
  const isolated = new Set(
    opts.origin
      ? []
      : Object.entries(origins)
          .filter(([name, o]) => name !== defaultOrigin && /(^|\/)server-functions\//.test(String(o.bundle ?? "")))
          .map(([name]) => name),
  );
  const children: ChildProcess[] = [];

  // Function origins are loaded once, in this process.
  process.env.OPEN_NEXT_PREVIEW = "1";
  // A function built for another architecture (the image function is arm64 by default)
  // borrows this machine's addons from the package (runtime/utils/addon-file.ts).
  if (process.env.OPEN_NEXT_PREVIEW_ADDONS === undefined) {
    const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
    const host = hostTarget();
    process.env.OPEN_NEXT_PREVIEW_ADDONS = runtimeAddons(packageRoot, new Set([host]))
      .filter((f) => path.basename(f).endsWith(`.${host}.node`))
      .join(path.delimiter);
  }
  const loading = new Map<string, Promise<NodeHandler>>();
  const loadFunction = (name: string): Promise<NodeHandler> => {
    let p = loading.get(name);
    if (!p && isolated.has(name)) {
      p = startOriginProcess(outputDir, name, children);
      loading.set(name, p);
    }
    if (!p) {
      const origin = origins[name];
      const bundleDir = outputPath(outputDir, origin.bundle ?? `.open-next/server-functions/${name}`);
      const file = path.join(bundleDir, `${(origin.handler ?? "index.handler").split(".")[0]}.mjs`);
      const wrapper = String(origin.wrapper ?? "node");
      const converter = String(origin.converter ?? "node");
      if (LAMBDA_WRAPPERS.has(wrapper) && API_CONVERTERS.has(converter)) {
        p = loadLambdaOrigin(file, converter, name);
      } else if (LAMBDA_WRAPPERS.has(wrapper) || wrapper === "dummy") {
        p = Promise.reject(
          Object.assign(
            new Error(
              `open-next preview cannot run origin "${name}" (wrapper "${wrapper}", converter "${converter}") yet: it runs Lambda functions behind API Gateway (converters ${[...API_CONVERTERS].join(", ")}) and node-wrapper functions`,
            ),
            { code: "ERR_PREVIEW_ORIGIN" },
          ),
        );
      } else {
        p = import(pathToFileURL(file).href).then(() => waitForHandler(name));
      }
      loading.set(name, p);
    }
    return p;
  };

  const findAsset = (originName: string, urlPath: string): string | undefined => {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (rel.includes("\0")) return undefined;
    for (const dir of assetDirs.get(originName) ?? []) {
      const file = path.resolve(dir, `.${rel.startsWith("/") ? rel : `/${rel}`}`);
      if (file !== dir && !file.startsWith(dir + path.sep)) continue;
      try {
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not there
      }
    }
    return undefined;
  };

  const serveAsset = (req: IncomingMessage, res: ServerResponse, file: string, urlPath: string): void => {
    const stat = fs.statSync(file);
    const headers: Record<string, string | number> = {
      "content-type": MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream",
      "content-length": stat.size,
      "cache-control": /(^|\/)_next\/static\//.test(urlPath) ? IMMUTABLE : MUST_REVALIDATE,
      "last-modified": stat.mtime.toUTCString(),
    };
    res.writeHead(200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    fs.createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  };

  /**
   * Whether the image function itself answers `/_next/image`: a Lambda build behind API Gateway.
   * Without a bucket for its `s3`/`s3-lite` loader it reads `.open-next/assets`
   * (`OPEN_NEXT_PREVIEW_ASSETS_DIR`), the preview's copy of the assets bucket.
   */
  const imageFunctionRuns = (origin: Record<string, any>): boolean =>
    LAMBDA_WRAPPERS.has(String(origin.wrapper ?? "")) && API_CONVERTERS.has(String(origin.converter ?? ""));
  process.env.OPEN_NEXT_PREVIEW_ASSETS_DIR ??= path.join(outputDir, "assets");

  const dispatchToOrigin = async (originName: string, req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> => {
    const origin = origins[originName];
    if (!origin) {
      sendText(res, 502, `open-next preview: behavior points to unknown origin "${originName}"`);
      return;
    }
    if (originName === "imageOptimizer" && !imageFunctionRuns(origin) && defaultOrigin !== originName) {
      // The server function answers `/_next/image` with the same optimizer (Next's, with the
      // Rust stage), reading local images through its own routing.
      await dispatchToOrigin(defaultOrigin, req, res, urlPath);
      return;
    }
    if (origin.type === "s3") {
      const file = req.method === "GET" || req.method === "HEAD" ? findAsset(originName, urlPath) : undefined;
      if (file) {
        serveAsset(req, res, file, urlPath);
        return;
      }
      // Origin group fallback: a missing asset goes to the default origin.
      if (defaultOrigin !== originName && origins[defaultOrigin]?.type !== "s3") {
        await dispatchToOrigin(defaultOrigin, req, res, urlPath);
      } else {
        sendText(res, 404, "Not Found");
      }
      return;
    }
    if (origin.type === "function" || origin.type === "ecs") {
      const handler = await loadFunction(originName);
      await handler(req, res);
      return;
    }
    sendText(res, 501, `open-next preview: origin type "${origin.type}" of "${originName}" is not supported`);
  };

  const server: Server = createServer((req, res) => {
    const urlPath = (req.url ?? "/").split("?")[0] || "/";
    if (opts.origin) {
      loadFunction(opts.origin)
        .then((handler) => handler(req, res))
        .catch((e) => sendText(res, 500, `open-next preview: ${e?.message ?? e}`));
      return;
    }
    const key = urlPath.replace(/^\/+/, "");
    const match = behaviors.find((b) => b.regexp.test(key))?.behavior;
    const originName = match?.origin ?? defaultOrigin;
    dispatchToOrigin(originName, req, res, urlPath).catch((e) => {
      console.error(`open-next preview: ${req.method} ${req.url} failed`, e);
      sendText(res, 500, `open-next preview: ${e?.message ?? e}`);
    });
  });

  // Start the function origins now, so that start-up errors show at once.
  const functionOrigins = new Set(
    opts.origin
      ? [opts.origin]
      : behaviors
          .map((b) => b.behavior.origin)
          .filter(
            (o): o is string =>
              !!o &&
              (origins[o]?.type === "function" || origins[o]?.type === "ecs") &&
              (o !== "imageOptimizer" || imageFunctionRuns(origins[o])),
          ),
  );
  await Promise.all([...functionOrigins].map((name) => loadFunction(name)));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  aws.startDrain(url);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        void aws.stop();
        for (const c of children) c.kill();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/**
 * Runs origin `name` in a child `open-next preview` (`OPEN_NEXT_PREVIEW_ORIGIN`) on
 * a free loopback port, and resolves with a handler that forwards requests to it
 * as they came (the Host header included), streaming both ways.
 */
function startOriginProcess(outputDir: string, name: string, children: ChildProcess[]): Promise<NodeHandler> {
  const cli = fileURLToPath(new URL("../bin/open-next.mjs", import.meta.url));
  const child = spawn(process.execPath, [cli, "preview", "--port", "0"], {
    cwd: path.dirname(outputDir),
    env: { ...process.env, OPEN_NEXT_PREVIEW_ORIGIN: name },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /serving \S+ on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      const target = new URL(m[1]);
      child.stdout?.removeAllListeners("data");
      child.stdout?.pipe(process.stdout);
      resolve(
        (req, res) =>
          new Promise<void>((done) => {
            const upstream = httpRequest(
              { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
              (r) => {
                res.writeHead(r.statusCode ?? 502, r.headers);
                r.pipe(res).on("finish", done).on("close", done);
              },
            );
            upstream.on("error", (e) => {
              sendText(res, 502, `open-next preview: split function "${name}" failed: ${e.message}`);
              done();
            });
            req.pipe(upstream);
          }),
      );
    });
    child.once("exit", (code) => reject(new Error(`split function "${name}" stopped (exit code ${code}):\n${out}`)));
  });
}
