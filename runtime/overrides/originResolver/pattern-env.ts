/**
 * Origin resolver `pattern-env` (OpenNext's default): origins come from the
 * `OPEN_NEXT_ORIGIN` environment variable, a JSON object of
 * `{ "<name>": { host, protocol, port?, customHeaders? } }` that the deployment
 * (SST, CDK, Terraform) sets. A path goes to the first split function in
 * `functions` whose `patterns` match it as CloudFront matches a cache
 * behavior's path pattern (the whole path, `*` any run of characters, `/`
 * included, `?` one character), so a request goes where the distribution's
 * behaviors would send it; else to `imageOptimizer` for `/_next/image`, else
 * to `default`.
 */
import type { Origin, OriginResolver } from "../../types/overrides.ts";
import { debug, error } from "../../utils/logger.ts";

/** A CloudFront path pattern (`api/*`, `/docs/?.html`) as a regex over the whole path. */
export function patternRegex(pattern: string): RegExp {
  let re = "";
  for (const c of pattern.replace(/^\//, "")) {
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else re += c.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^\\/${re}$`);
}

const compiled = new Map<string, RegExp>();
const matches = (pattern: string, path: string): boolean => {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = patternRegex(pattern)));
  return re.test(path);
};

let origins: Record<string, Origin> | undefined;
let parsedFrom: string | undefined;

function readOrigins(): Record<string, Origin> {
  const raw = process.env.OPEN_NEXT_ORIGIN ?? "{}";
  if (origins && parsedFrom === raw) return origins;
  try {
    origins = JSON.parse(raw) as Record<string, Origin>;
  } catch (e) {
    error('OPEN_NEXT_ORIGIN is not valid JSON; set it to {"default": {"host": ..., "protocol": "https"}}', e);
    origins = {};
  }
  parsedFrom = raw;
  return origins;
}

const resolver: OriginResolver = {
  name: "pattern-env",
  async resolve(path: string) {
    const all = readOrigins();
    const functions = (globalThis as { openNextConfig?: { functions?: Record<string, { patterns?: string[] }> } }).openNextConfig
      ?.functions;
    for (const [name, fn] of Object.entries(functions ?? {})) {
      if (name === "default" || !all[name]) continue;
      if ((fn.patterns ?? []).some((p) => matches(p, path))) {
        debug("origin", name, "for", path);
        return all[name];
      }
    }
    if (path.startsWith("/_next/image") && all.imageOptimizer) return all.imageOptimizer;
    return all.default ?? false;
  },
};

export default resolver;
