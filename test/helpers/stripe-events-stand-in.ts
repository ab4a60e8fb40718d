import type { IncomingMessage, ServerResponse } from 'node:http';
import { startForwardingProxy } from './forwarding-proxy';

/**
 * Stands in for Stripe's events list only (GET /v1/events), which stripe-mock answers with
 * fixed fixtures: a test puts the events Stripe "has" here, and they are listed per account
 * (Stripe-Account header), newest first, filtered by created[gte] and paged by starting_after,
 * as Stripe does. Every other request is passed through to stripe-mock unchanged (and noted,
 * so a test can count what Stripe was asked to create).
 */
export async function startStripeEventsStandIn(stripeMockBase: string) {
  const events: { account: string | null; event: { id: string; created: number } & Record<string, unknown> }[] = [];
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

  const proxy = await startForwardingProxy(stripeMockBase, (req, res, forward) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method === 'GET' && url.pathname === '/v1/events') return list(req, res, url);
    forwarded.push({ method: req.method ?? '', path: url.pathname, idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null });
    forward();
  });
  return {
    ...proxy,
    /** Stripe now has this event in the account's list (null: the platform's own account). */
    add: (account: string | null, event: { id: string; created: number } & Record<string, unknown>) => {
      events.push({ account, event });
    },
    listRequests,
    forwarded,
  };
}
