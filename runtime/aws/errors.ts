/**
 * Errors of AWS calls, for the lite clients (`aws/client.ts`) and the SDK ones
 * alike. Kept apart from the signer so that an SDK-only function (the
 * initializer) does not carry it.
 */

/** A failed AWS call: names the service, the operation and what went wrong. */
export class AwsError extends Error {
  readonly status?: number;
  readonly code?: string;
  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.name = "AwsError";
    this.status = status;
    this.code = code;
  }
}

/** An AWS SDK error as an {@link AwsError} naming the call. */
export function sdkError(e: unknown, what: string): AwsError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return new AwsError(
    `${what} failed: ${status ?? ""} ${err?.name ?? ""}: ${err?.message ?? e}`.replace(/ +/g, " ").replace(" :", ":"),
    status,
    err?.name,
  );
}
