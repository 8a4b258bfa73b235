/** Console logging with an `[open-next]` prefix; `debug` only when `OPEN_NEXT_DEBUG` is truthy. */

function isDebug(): boolean {
  const v = process.env.OPEN_NEXT_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
}

export function debug(...args: unknown[]): void {
  if (isDebug()) console.log("[open-next]", ...args);
}

export function warn(...args: unknown[]): void {
  console.warn("[open-next]", ...args);
}

export function error(...args: unknown[]): void {
  console.error("[open-next]", ...args);
}
