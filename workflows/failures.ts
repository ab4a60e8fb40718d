/** The innermost failure of a chain (run → activity → what the activity threw): that one has the reason. */
export function innermost(err: Error): Error & { type?: string | null; nonRetryable?: boolean } {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e;
}
