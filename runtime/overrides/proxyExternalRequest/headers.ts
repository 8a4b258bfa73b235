/**
 * Headers that must not cross a proxy: hop-by-hop ones, the framing of a body
 * the proxy re-encodes, and those describing the first hop (OpenNext's list,
 * plus the RFC 9110 hop-by-hop set).
 */
const DROPPED = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "upgrade",
  "via",
  "x-cache",
  "transfer-encoding",
  "content-encoding",
  "content-length",
]);

/** The headers to forward (request or response), as a plain record. */
export function proxiedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const connectionListed = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const k = name.toLowerCase();
    if (value === undefined || DROPPED.has(k) || connectionListed.has(k) || k.startsWith("x-amz")) continue;
    out[k] = value;
  }
  return out;
}
