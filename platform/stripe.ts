import Stripe from 'stripe';

/**
 * The Stripe client, or undefined when STRIPE_SECRET_KEY is unset (Stripe-backed endpoints then
 * answer 503 and everything else works). STRIPE_API_BASE points it at stripe-mock in tests.
 *
 * Every call that goes over the network runs inside a Temporal activity (the API only verifies
 * webhook signatures, offline), so the SDK does not retry: the activity's retry policy is the one
 * retry mechanism, with its backoff, its attempt limit and its timeout seeing every attempt. An
 * SDK retry inside an attempt would spend the activity's start-to-close time unseen.
 */
export function createStripe(opts: { secretKey?: string; apiBase?: string }): Stripe | undefined {
  if (!opts.secretKey) return undefined;
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  return new Stripe(opts.secretKey, {
    maxNetworkRetries: 0,
    timeout: 20_000,
    ...(base && {
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol.replace(':', '') as 'http' | 'https',
    }),
  });
}
