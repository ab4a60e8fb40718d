import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  failed: boolean;
}

/**
 * A pass-through proxy in front of stripe-mock that records every request (stripe-mock keeps
 * no state to count objects by) and can fail chosen ones with a 500, as a flaky network or a
 * Stripe incident would, without forwarding them.
 */
export async function startStripeProxy(target: string, fail: (r: { method: string; path: string }, seen: SeenRequest[]) => boolean = () => false) {
  const seen: SeenRequest[] = [];
  const base = new URL(target);
  const server = createServer((req, res) => {
    const r = { method: req.method!, path: req.url! };
    const failed = fail(r, seen);
    seen.push({ ...r, idempotencyKey: req.headers['idempotency-key'] as string | undefined, failed });
    if (failed) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: 'injected fault' } }));
      return;
    }
    const upstream = request({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
