import { setTimeout as sleep } from 'node:timers/promises';

// Steps of the ingestion fault tests: a store killed under batches in flight, a client re-sending until acknowledged.

/**
 * SIGKILLs a ClickHouse server this test started while usage batches are in flight: `count`
 * sends from batch `first` on, `spacingMs` apart, the kill `killAfterMs` after the first. Resolves
 * once every send is answered and the server's handle has seen the exit (start() only then).
 */
export async function crashWithBatchesInFlight(
  server: { readonly pid: number },
  send: (batch: number) => Promise<unknown>,
  o: { first: number; count: number; spacingMs: number; killAfterMs: number },
): Promise<void> {
  const inFlight = Array.from({ length: o.count }, (_, i) => sleep(i * o.spacingMs).then(() => send(o.first + i)));
  await sleep(o.killAfterMs);
  const pid = server.pid;
  expect(pid).toBeGreaterThan(0); // never kill(-1)
  process.kill(pid, 'SIGKILL');
  await Promise.all(inFlight);
  while (server.pid > 0) await sleep(20);
}

/** Re-sends a batch as a client does after a 503, until it is acknowledged; fails the test after `attempts`. */
export async function resendUntil200(send: (batch: number) => Promise<number>, batch: number, o: { attempts: number; waitMs: number }): Promise<void> {
  for (let attempt = 0; attempt < o.attempts; attempt++) {
    if ((await send(batch)) === 200) return;
    await sleep(o.waitMs);
  }
  throw new Error(`batch ${batch} still failing after ${o.attempts} attempts`);
}
