/**
 * Request headers a client must never set: they steer routing, middleware or
 * caching inside Next and the runtime. Every function removes them from the
 * requests it receives.
 */

/** Headers only the platform may set: a client sending them could steer routing or caching. */
const INTERNAL_HEADERS = new Set([
  "x-matched-path",
  "x-now-route-matches",
  "x-nextjs-data",
  "x-next-resume-state-length",
  "next-resume",
  "x-next-revalidated-tags",
  "x-next-revalidate-tag-token",
]);
const INTERNAL_PREFIXES = ["x-middleware-", "x-invoke-", "x-opennext-"];

/** Whether a (lower-case) header name is one only the platform may set. */
export function isInternalHeader(name: string): boolean {
  return INTERNAL_HEADERS.has(name) || INTERNAL_PREFIXES.some((p) => name.startsWith(p));
}

/** Drops the internal headers a client could spoof (see {@link INTERNAL_HEADERS}). */
export function stripInternalHeaders(headers: Record<string, string>, previewModeId: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const k = name.toLowerCase();
    if (isInternalHeader(k)) continue;
    if (k === "x-prerender-revalidate" && (!previewModeId || value !== previewModeId)) continue;
    out[k] = value;
  }
  return out;
}
