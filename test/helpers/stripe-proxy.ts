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
 * Stripe incident would, without forwarding them.
 */
export async function startStripeProxy(target: string, fail: (r: { method: string; path: string }, seen: SeenRequest[]) => boolean = () => false) {
  const seen: SeenRequest[] = [];
  const proxy = await startForwardingProxy(target, (req, res, forward) => {
    const r = { method: req.method!, path: req.url! };
    const failed = fail(r, seen);
    seen.push({ ...r, idempotencyKey: req.headers['idempotency-key'] as string | undefined, failed });
    if (!failed) return forward();
    req.resume();
    stripeError(res, 500, { type: 'api_error', message: 'injected fault' });
  });
  return { ...proxy, seen };
}
