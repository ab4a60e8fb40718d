// Port allocation and readiness polling shared by every service launcher.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// Ports already handed out by this process: the OS may hand the same
// ephemeral port to two quick freePort() calls made before either binds it.
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago (bind-and-release). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: could not find an unused TCP port');
}

export interface WaitForOptions {
  timeoutMs: number;
  /** Human-readable name used in the timeout error. */
  what: string;
  intervalMs?: number;
  /** Returns a reason to stop waiting early (e.g. the child process died). */
  giveUp?: () => string | undefined;
}

/** Polls `check` until it returns true; thrown errors count as "not yet". */
export async function waitFor(check: () => Promise<boolean>, opts: WaitForOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = opts.giveUp?.();
    if (reason) throw new Error(`${opts.what}: gave up waiting: ${reason}`);
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`${opts.what}: not ready after ${opts.timeoutMs} ms${detail}`);
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
