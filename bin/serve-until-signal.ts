import type { Stack } from './compose';

const CLOSE_BOUND_MS = 10_000;
// "tollbooth api ready api=..." -> "tollbooth api": what the draining and stopped lines start with.
const name = (line: string) => line.split(' ready')[0];

/**
 * Runs one part of the stack (the API or the worker, scaled separately) until SIGINT or SIGTERM,
 * then drains it: it stops taking work, waits for what is in flight (SHUTDOWN_GRACE_MS at most),
 * closes, and exits 0 when everything finished, 1 when something had to be cut (a second signal
 * exits 1 at once). Draining and stopping print a line each. The ready line on stdout is what scripts and tests wait for; a
 * start that fails exits 1 with its message alone (a configuration error needs no stack trace).
 */
export function serveUntilSignal(starting: Promise<Stack>, readyLine: (stack: Stack) => string): void {
  starting
    .then((stack) => {
      const ready = readyLine(stack);
      process.stdout.write(`${ready}\n`);
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(1);
        stopping = true;
        process.stdout.write(`${name(ready)} draining signal=${signal}\n`);
        void stack
          .drain()
          .then(async (drained) => {
            // After a cut, a client may still wait on work that never ends: give closing a bound.
            await Promise.race([stack.close(), new Promise((r) => setTimeout(r, CLOSE_BOUND_MS))]);
            process.stdout.write(`${name(ready)} stopped drained=${drained}\n`);
            process.exit(drained ? 0 : 1);
          })
          .catch(() => process.exit(1));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
