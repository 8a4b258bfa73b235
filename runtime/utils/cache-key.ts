/**
 * The storage name of a `'use cache'` key. OpenNext stores an entry under its
 * key as is (`<buildId>/<key>.composable`). Next's keys are serialized
 * arguments, so they can hold a `..` path segment (which `fetch` and the file
 * system would resolve, reaching another entry) or be too long for an S3 key
 * or a file name; those few are stored under `__composable/<sha256 of the key>`.
 */
import { createHash } from "node:crypto";

/** S3 allows 1,024 bytes per key; leave room for the prefix and build id. */
const MAX_KEY_BYTES = 768;
/** File systems allow 255 bytes per name. */
const MAX_SEGMENT_BYTES = 200;

export function composableStorageKey(key: string): string {
  const segments = key.split("/");
  const plain =
    Buffer.byteLength(key) <= MAX_KEY_BYTES &&
    !segments.some((s) => s === "." || s === ".." || Buffer.byteLength(s) > MAX_SEGMENT_BYTES) &&
    !key.includes("\0");
  return plain ? key : `__composable/${createHash("sha256").update(key).digest("hex")}`;
}
