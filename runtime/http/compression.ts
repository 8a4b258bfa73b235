/**
 * Response compression for the wrappers that compress (`aws-lambda-compressed`,
 * `aws-lambda-streaming`): the encoding is chosen from `Accept-Encoding` (br,
 * then gzip, then deflate; `q=0` refuses one), and only text-like content types
 * are compressed (images, fonts, archives and video already are).
 */
import zlib from "node:zlib";

/** An encoding we can produce. */
export type Encoding = "br" | "gzip" | "deflate";

/** The best encoding the client accepts, if any. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const weight = q ? Number.parseFloat(q.slice(2)) : 1;
    if (name) accepted.set(name.trim(), Number.isNaN(weight) ? 0 : weight);
  }
  for (const e of ["br", "gzip", "deflate"] as const) {
    const w = accepted.get(e) ?? (accepted.has("*") ? (accepted.get("*") as number) : 0);
    if (w > 0) return e;
  }
  return undefined;
}

const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|ecmascript|xml|xhtml\+xml|rss\+xml|atom\+xml|ld\+json|manifest\+json|x-javascript|x-component|vnd\.api\+json|graphql-response\+json)|image\/svg\+xml|font\/(ttf|otf)$)/;

/** Whether a response of this content type is worth compressing. */
export function isCompressible(contentType: unknown): boolean {
  if (typeof contentType !== "string") return false;
  return COMPRESSIBLE.test(contentType.split(";")[0].trim().toLowerCase());
}

/** A compressing transform that flushes what it has on every write (so streams keep streaming). */
export function compressor(encoding: Encoding): zlib.BrotliCompress | zlib.Gzip | zlib.Deflate {
  switch (encoding) {
    case "br":
      return zlib.createBrotliCompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
      });
    case "gzip":
      return zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH });
    default:
      return zlib.createDeflate({ flush: zlib.constants.Z_SYNC_FLUSH });
  }
}

/** Compresses a whole body. */
export function compressBuffer(encoding: Encoding, body: Buffer): Buffer {
  switch (encoding) {
    case "br":
      return zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
    case "gzip":
      return zlib.gzipSync(body);
    default:
      return zlib.deflateSync(body);
  }
}

/** Headers of a response compressed with `encoding`: the encoding set, the length dropped, `Vary` extended. */
export function compressedHeaders<T extends Record<string, unknown>>(headers: T, encoding: Encoding): T {
  const out: Record<string, unknown> = { ...headers, "content-encoding": encoding };
  delete out["content-length"];
  const vary = typeof out.vary === "string" ? out.vary : "";
  if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) out.vary = vary ? `${vary}, Accept-Encoding` : "Accept-Encoding";
  return out as T;
}
