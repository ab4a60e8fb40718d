import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  failed: boolean;
}

type Seen = { method: string; path: string };

/**
 * A pass-through proxy in front of stripe-mock that records every request (stripe-mock keeps
 * no state to count objects by) and can fail chosen ones with a 500, as a flaky network or a
 * Stripe incident would, without forwarding them. `hold` picks requests (by their form body too,
 * and their place in `seen`, which is in order of arrival) that wait, unanswered, until
 * release(): a Stripe call in flight for as long as a test needs.
 */
export async function startStripeProxy(
  target: string,
  fail: (r: Seen, seen: SeenRequest[]) => boolean = () => false,
  hold: (r: Seen & { body: string; index: number }, seen: SeenRequest[]) => boolean = () => false,
) {
  const seen: SeenRequest[] = [];
  const waiting: (() => void)[] = [];
  let held = 0;
  const base = new URL(target);
  const server = createServer((req, res) => {
    const r = { method: req.method!, path: req.url! };
    const failed = fail(r, seen);
    const index = seen.push({ ...r, idempotencyKey: req.headers['idempotency-key'] as string | undefined, failed }) - 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failed) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'api_error', message: 'injected fault' } }));
        return;
      }
      const body = Buffer.concat(chunks);
      const forward = () => {
        const upstream = request({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      };
      if (!hold({ ...r, body: body.toString(), index }, seen)) return forward();
      held++;
      waiting.push(forward);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    /** How many requests `hold` has held so far (released ones included). */
    held: () => held,
    /** Forwards the held requests. */
    release: () => waiting.splice(0).forEach((forward) => forward()),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
