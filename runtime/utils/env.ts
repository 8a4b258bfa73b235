/** Numbers from environment variables. */

/**
 * The integer in `process.env[name]` when it is at least `min` (1 by default),
 * else `fallback` (unset, not a number, or too small).
 */
export function intEnv(name: string, fallback: number, min = 1): number {
  const n = Number.parseInt(process.env[name] ?? "", 10);
  return Number.isFinite(n) && n >= min ? n : fallback;
}
