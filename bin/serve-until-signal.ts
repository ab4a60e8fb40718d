import type { Stack } from './compose';

/**
 * Runs one part of the stack (the API or the worker, scaled separately) until SIGINT or SIGTERM,
 * then closes it and exits 0. The ready line on stdout is what scripts and tests wait for; a
 * start that fails exits 1 with its message alone (a configuration error needs no stack trace).
 */
export function serveUntilSignal(starting: Promise<Stack>, readyLine: (stack: Stack) => string): void {
  starting
    .then((stack) => {
      process.stdout.write(`${readyLine(stack)}\n`);
      const stop = () => void stack.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
