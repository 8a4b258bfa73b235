/**
 * Errors the runtime tells apart.
 *
 * A `BadEventError` is the caller's fault (an event of the wrong shape, a URL or
 * header that cannot be parsed): the wrapper answers it with a 4xx result in the
 * converter's own shape and the instance keeps serving.
 */

/** An event or request the function cannot take; answered with `status` (400 by default). */
export class BadEventError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = "BadEventError";
    this.status = status;
  }
}

/** Whether `e` is a {@link BadEventError} (also across bundles, by name). */
export function isBadEvent(e: unknown): e is BadEventError {
  return e instanceof Error && e.name === "BadEventError" && typeof (e as BadEventError).status === "number";
}
