/** Polls until `check` returns a truthy value: webhook and workflow processing is asynchronous by design. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Polls until `check` has held on every poll for `steadyMs`: for views that converge through a
 * short transient (a snapshot read across a write), where one good answer may still be followed
 * by a stale one.
 */
export async function eventuallySteady(what: string, check: () => Promise<boolean>, steadyMs = 2_000, timeoutMs = 45_000): Promise<void> {
  let since: number | undefined;
  await eventually(
    what,
    async () => {
      const ok = await check().catch((err: unknown) => {
        since = undefined;
        throw err;
      });
      if (!ok) since = undefined;
      else since ??= Date.now();
      return since !== undefined && Date.now() - since >= steadyMs;
    },
    timeoutMs,
  );
}
