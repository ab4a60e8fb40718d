// stripe-mock (pinned v0.203.0): a stateless fake of the Stripe API.
import path from 'node:path';
import { spawnService } from '../embedded/child';
import { findOverrideOrOnPath, goInstalled, once, type GoTool } from '../embedded/go-tools';
import { freePort, waitFor } from '../embedded/ports';

const STRIPE_MOCK: GoTool = {
  name: 'stripe-mock',
  pkg: 'github.com/stripe/stripe-mock',
  module: 'github.com/stripe/stripe-mock',
  version: 'v0.203.0',
  envVar: 'STRIPE_MOCK_BIN',
};

/** The stripe-mock binary: STRIPE_MOCK_BIN, else on PATH, else the cached `go install` build. */
export const ensureStripeMock = (): Promise<string> =>
  once(STRIPE_MOCK.name, async () => findOverrideOrOnPath(STRIPE_MOCK.envVar, STRIPE_MOCK.name) ?? goInstalled(STRIPE_MOCK));

export interface StripeMockOptions {
  /** Path to the binary, see ensureStripeMock(). */
  executable: string;
  logDir: string;
  port?: number;
}

export interface StripeMock {
  /** Base URL, e.g. for `new Stripe(key, { host, port, protocol: 'http' })`. */
  url: string;
  stop(): Promise<void>;
}

export async function startStripeMock(opts: StripeMockOptions): Promise<StripeMock> {
  const port = opts.port ?? (await freePort());
  const child = spawnService({
    name: 'stripe-mock',
    command: opts.executable,
    // -http-addr (not -http-port) binds loopback only. stripe-mock v0.203.0 then
    // still opens HTTPS on [::]:12112 (its check ignores -http-addr), so a second
    // instance would fail: park HTTPS on an OS-chosen loopback port instead.
    args: ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:0'],
    logFile: path.join(opts.logDir, 'stripe-mock.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        const res = await fetch(`${url}/v1/customers`, {
          headers: { Authorization: 'Bearer sk_test_123' },
          signal: AbortSignal.timeout(1000),
        });
        return res.status === 200;
      },
      { timeoutMs: 30_000, what: `stripe-mock on ${url}`, giveUp: child.exitReason },
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url, stop: () => child.stop() };
}
