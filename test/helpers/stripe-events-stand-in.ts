import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands in for Stripe's events list only (GET /v1/events), which stripe-mock answers with
 * fixed fixtures: a test puts the events Stripe "has" here, and they are listed per account
 * (Stripe-Account header), newest first, filtered by created[gte] and paged by starting_after,
 * as Stripe does. Every other request is passed through to stripe-mock unchanged (and noted,
 * so a test can count what Stripe was asked to create).
 */
export async function startStripeEventsStandIn(stripeMockBase: string) {
  const events: { account: string | null; event: { id: string; created: number } & Record<string, unknown> }[] = [];
  const upstream = new URL(stripeMockBase);
  const listRequests: { account: string | null; query: string }[] = [];
  /** Every request passed through: what Stripe was asked to create, and under which key. */
  const forwarded: { method: string; path: string; idempotencyKey: string | null }[] = [];

  const list = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const account = (req.headers['stripe-account'] as string | undefined) ?? null;
    listRequests.push({ account, query: url.search });
    const gte = Number(url.searchParams.get('created[gte]') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const after = url.searchParams.get('starting_after');
    const mine = events
      .filter((e) => e.account === account && e.event.created >= gte)
      .map((e) => e.event)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    const from = after ? mine.findIndex((e) => e.id === after) + 1 : 0;
    const data = mine.slice(from, from + limit);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', url: '/v1/events', has_more: from + limit < mine.length, data }));
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/v1/events') return list(req, res, url);
    forwarded.push({ method: req.method ?? '', path: url.pathname, idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null });
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Stripe now has this event in the account's list (null: the platform's own account). */
    add: (account: string | null, event: { id: string; created: number } & Record<string, unknown>) => {
      events.push({ account, event });
    },
    listRequests,
    forwarded,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
