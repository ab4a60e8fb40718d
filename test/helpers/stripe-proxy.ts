import { startForwardingProxy, stripeError } from './forwarding-proxy';

export interface SeenRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  failed: boolean;
}

/**
 * A pass-through proxy in front of stripe-mock that records every request (stripe-mock keeps
 * no state to count objects by) and can fail chosen ones with a 500, as a flaky network or a
 * Stripe incident would, without forwarding them. `hold` picks requests (by their form body
 * too) that wait, unanswered, until release(): a Stripe call in flight as long as a test needs.
 */
export async function startStripeProxy(
  target: string,
  fail: (r: { method: string; path: string }, seen: SeenRequest[]) => boolean = () => false,
  hold?: (r: { method: string; path: string; body: string }) => boolean,
) {
  const seen: SeenRequest[] = [];
  const waiting: (() => void)[] = [];
  let held = 0;
  const proxy = await startForwardingProxy(target, (req, res, forward) => {
    const r = { method: req.method!, path: req.url! };
    const failed = fail(r, seen);
    seen.push({ ...r, idempotencyKey: req.headers['idempotency-key'] as string | undefined, failed });
    if (failed) {
      req.resume();
      return stripeError(res, 500, { type: 'api_error', message: 'injected fault' });
    }
    if (!hold) return forward();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!hold({ ...r, body: body.toString() })) return forward(body);
      held++;
      waiting.push(() => forward(body));
    });
  });
  return {
    ...proxy,
    seen,
    /** How many requests `hold` has held so far (released ones included). */
    held: () => held,
    /** Forwards the held requests. */
    release: () => waiting.splice(0).forEach((forward) => forward()),
  };
}
