/**
 * The `open-next` command line: `build`, `preview`, `--help`, `--version`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "./index.ts";

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const HELP = `Usage: open-next <command> [options]

Commands:
  build      Build the Next.js app and write .open-next/
  preview    Serve the built .open-next/ locally the way the AWS topology would

build options:
  --config-path <file>                         Config file (default: open-next.config.ts)
  --dangerously-use-unsupported-next-version   Build even if the Next.js version is unsupported
  --skip-next-build                            Reuse the existing .next/ output

preview options:
  --port <n>                                   Port to listen on (default: 3000, or $PORT)

Global options:
  -h, --help       Show this help
  -v, --version    Show the version
`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { command?: string; flags: Record<string, string | boolean> } {
  const flags: Record<string, string | boolean> = {};
  let command: string | undefined;
  const withValue = new Set(["--config-path", "--port"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("-")) {
      const [name, inline] = a.split("=", 2);
      if (withValue.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
        flags[name] = v;
      } else {
        flags[name] = true;
      }
    } else if (!command) {
      command = a;
    } else {
      throw new UsageError(`unexpected argument "${a}"`);
    }
  }
  return { command, flags };
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

const KNOWN: Record<string, string[]> = {
  build: ["--config-path", "--dangerously-use-unsupported-next-version", "--skip-next-build"],
  preview: ["--port"],
};

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`open-next: ${(e as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { command, flags } = parsed;
  if (flags["--version"] || flags["-v"]) {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8"));
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (flags["--help"] || flags["-h"] || !command) {
    process.stdout.write(HELP);
    return command || flags["--help"] || flags["-h"] ? 0 : 1;
  }
  const known = KNOWN[command];
  if (!known) {
    process.stderr.write(`open-next: unknown command "${command}". Commands: build, preview\n`);
    return 1;
  }
  for (const f of Object.keys(flags)) {
    if (!known.includes(f)) {
      process.stderr.write(`open-next ${command}: unknown option ${f}. Options: ${known.join(", ")}\n`);
      return 1;
    }
  }
  try {
    if (command === "build") {
      const started = Date.now();
      process.stderr.write("open-next: building...\n");
      const report = await build({
        cwd: process.cwd(),
        configPath: flags["--config-path"] as string | undefined,
        dangerouslyUseUnsupportedNextVersion: flags["--dangerously-use-unsupported-next-version"] === true,
        skipNextBuild: flags["--skip-next-build"] === true,
      });
      for (const w of report.warnings) process.stderr.write(`open-next: warning: ${w}\n`);
      process.stdout.write(
        `\nopen-next: built ${path.relative(process.cwd(), report.outputDir) || "."} (Next.js ${report.nextVersion}, build ${report.buildId}, read via ${report.input === "adapter" ? "the Deployment Adapter API" : "the build manifests"})\n`,
      );
      if (report.buildCommand) process.stdout.write(`  Next.js build command: ${report.buildCommand}\n`);
      process.stdout.write(`  architectures: ${architectures(report.output)}\n`);
      const width = Math.max(...report.phases.map((p) => p.name.length));
      for (const p of report.phases) process.stdout.write(`  ${p.name.padEnd(width)}  ${fmtMs(p.ms).padStart(10)}\n`);
      process.stdout.write(`  ${"post-build total".padEnd(width)}  ${fmtMs(report.postBuildMs).padStart(10)}\n`);
      process.stdout.write(`  ${"total".padEnd(width)}  ${fmtMs(Date.now() - started).padStart(10)}\n`);
      return 0;
    }
    const { startPreview } = await import("./preview.ts");
    const port = Number(flags["--port"] ?? process.env.PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`open-next preview: --port must be an integer between 0 and 65535, got ${flags["--port"]}\n`);
      return 1;
    }
    const outputDir = path.resolve(process.cwd(), ".open-next");
    // The server function changes the working directory when it starts.
    const shown = path.relative(process.cwd(), outputDir);
    // Set by preview itself for a split server function's own process (js/preview.ts).
    const origin = process.env.OPEN_NEXT_PREVIEW_ORIGIN || undefined;
    if (origin) {
      // Stops with its parent.
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && process.exit(0), 1000).unref();
    }
    const server = await startPreview({ outputDir, port, origin });
    process.stdout.write(`open-next preview: serving ${shown} on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close().then(resolve, resolve);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  } catch (e: any) {
    if (e?.name === "OpenNextError" || e?.code?.startsWith?.("ERR_")) {
      process.stderr.write(`\nopen-next: error [${e.code}]: ${e.message}\n`);
    } else {
      process.stderr.write(`\nopen-next: unexpected error: ${e?.stack ?? e}\n`);
    }
    return 1;
  }
}

/** Each function with native addons and the Lambda architectures it runs on (from `open-next.output.json`). */
function architectures(output: Record<string, any>): string {
  const functions: [string, { bundle?: string; architectures?: string[] }][] = [
    ...Object.entries<any>(output.origins ?? {}),
    ...Object.entries<any>(output.edgeFunctions ?? {}),
  ];
  return functions
    .filter(([, f]) => Array.isArray(f.architectures))
    .map(([, f]) => `${(f.bundle ?? "").replace(/^\.open-next\//, "")} ${(f.architectures as string[]).join("+")}`)
    .join(", ");
}
