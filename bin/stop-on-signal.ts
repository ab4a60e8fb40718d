import type { Stack } from './compose';

const CLOSE_BOUND_MS = 10_000;

/**
 * SIGTERM or SIGINT: print that the process is draining, stop taking work, wait for what is in
 * flight (SHUTDOWN_GRACE_MS at most), close, and exit 0 when everything finished, 1 when
 * something had to be cut. A second signal exits at once.
 */
export function stopOnSignal(stack: Stack, name: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`tollbooth ${name} draining signal=${signal}\n`);
    void stack
      .drain()
      .then(async (drained) => {
        // After a cut, a client may still wait on work that never ends: give closing a bound.
        await Promise.race([stack.close(), new Promise((r) => setTimeout(r, CLOSE_BOUND_MS))]);
        process.stdout.write(`tollbooth ${name} stopped drained=${drained}\n`);
        process.exit(drained ? 0 : 1);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
