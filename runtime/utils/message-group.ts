/**
 * The SQS message group of a revalidation, as OpenNext picks it. The queue is
 * FIFO, so one group is handled one message at a time; paths are spread over
 * `MAX_REVALIDATE_CONCURRENCY` groups (default 10), a path always landing in the
 * same one (`revalidate-<n>`). The shard is the first 32-bit word of the
 * cyrb128 hash of the path fed through one mulberry32 step, scaled to
 * `[0, max)` — the same numbers OpenNext computes, so both put a path in the
 * same group.
 */
import { intEnv } from "./env.ts";

/** cyrb128's first output word of `s` (UTF-16 code units). */
function hashWord(s: string): number {
  let a = 1779033703;
  let b = 3144134277;
  let c = 1013904242;
  let d = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    a = b ^ Math.imul(a ^ k, 597399067);
    b = c ^ Math.imul(b ^ k, 2869860233);
    c = d ^ Math.imul(c ^ k, 951274213);
    d = a ^ Math.imul(d ^ k, 2716044179);
  }
  a = Math.imul(c ^ (a >>> 18), 597399067);
  b = Math.imul(d ^ (b >>> 22), 2869860233);
  c = Math.imul(a ^ (c >>> 17), 951274213);
  d = Math.imul(b ^ (d >>> 19), 2716044179);
  return (a ^ b ^ c ^ d) >>> 0;
}

/** A float in `[0, 1)` from one mulberry32 step seeded with `seed`. */
function mulberryStep(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** `revalidate-<n>` for a path. */
export function messageGroupId(rawPath: string): string {
  const n = intEnv("MAX_REVALIDATE_CONCURRENCY", 10);
  return `revalidate-${Math.floor(mulberryStep(hashWord(rawPath)) * n)}`;
}
