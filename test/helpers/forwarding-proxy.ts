import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Passes the request on upstream unchanged; `body` when the handler has already read it. With
 * `onReply`, upstream's whole answer goes to it instead of the client: the handler answers (or
 * holds) the client itself.
 */
export type Forward = (body?: Buffer, onReply?: (reply: UpstreamReply) => void) => void;

/**
 * A local HTTP server in front of `target` (stripe-mock in the tests). stripe-mock keeps no state
 * and cannot fail on cue, so the tests put one of these in between to note what Stripe was asked,
 * stand in for what it remembers, or fake a fault. `handle` answers a request itself or forwards
 * it; by default everything is forwarded.
 */
export async function startForwardingProxy(
  target: string,
  handle: (req: IncomingMessage, res: ServerResponse, forward: Forward) => void = (_req, _res, forward) => forward(),
) {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forward: Forward = (body, onReply) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (reply) => {
          if (!onReply) {
            res.writeHead(reply.statusCode ?? 502, reply.headers);
            reply.pipe(res);
            return;
          }
          const chunks: Buffer[] = [];
          reply.on('data', (c: Buffer) => chunks.push(c));
          reply.on('end', () => onReply({ status: reply.statusCode ?? 502, headers: reply.headers, body: Buffer.concat(chunks) }));
        },
      );
      out.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      if (body) out.end(body);
      else req.pipe(out);
    };
    handle(req, res, forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Also drops connections still open, e.g. a request a test holds unanswered. */
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A JSON error as Stripe sends one, for a faked fault. */
export function stripeError(res: ServerResponse, status: number, error: { type: string; message: string; code?: string }): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
}
