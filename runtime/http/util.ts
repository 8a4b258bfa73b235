/** Small helpers to move between Node's header shapes and the runtime's. */

export type HeaderValue = string | number | string[] | undefined;

/** Query object from URL search params; a repeated key becomes an array. */
export function queryFromSearchParams(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const prev = query[key];
    if (prev === undefined) query[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else query[key] = [prev, value];
  }
  return query;
}

/** The first value of a comma-joined header (`x-forwarded-*`). */
export function firstValue(v: string | undefined): string | undefined {
  return v?.split(",")[0]?.trim() || undefined;
}

/** Parses a `Cookie` request header (first value of a name wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in cookies) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies[name] = decodeURIComponent(value);
    } catch {
      cookies[name] = value;
    }
  }
  return cookies;
}

/**
 * Splits a `Set-Cookie` value that may hold several cookies joined by commas,
 * without splitting inside an `Expires=Wdy, DD Mon ...` attribute.
 */
export function splitSetCookie(value: HeaderValue): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => splitSetCookie(v));
  const s = String(value);
  if (s === "") return [];
  return s
    .split(/,(?=\s*[^;,=\s]+=)/)
    .map((c) => c.trim())
    .filter((c) => c !== "");
}

/** Joins a header value into one string (`set-cookie` must not go through this). */
export function headerToString(value: HeaderValue): string {
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/**
 * Lower-cases names and joins values, dropping `undefined`. A `location` given
 * several times keeps one value (Next can repeat it).
 */
export function normalizeHeaders(headers: Record<string, HeaderValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === "location" && Array.isArray(value)) {
      out[key] = value[value.length - 1];
      continue;
    }
    out[key] = headerToString(value);
  }
  return out;
}
