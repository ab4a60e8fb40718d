import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';

// Requests Stripe refuses on their merits: a retry would be refused again.
const REJECTIONS = new Set(['StripeInvalidRequestError', 'StripeCardError', 'StripePermissionError']);

/**
 * What every Stripe-calling activity needs: the client (a non-retryable failure when Stripe is
 * not configured) and `rejectedFast`, which fails at once instead of retrying for minutes when
 * Stripe rejects the request itself.
 */
export function stripeCalls(client: Stripe | undefined) {
  return {
    stripe: (): Stripe => {
      if (!client) throw ApplicationFailure.nonRetryable('Stripe is not configured (STRIPE_SECRET_KEY is unset)', 'StripeNotConfigured');
      return client;
    },
    rejectedFast: async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type && REJECTIONS.has(type)) throw ApplicationFailure.nonRetryable(`Stripe rejected the request: ${(err as Error).message}`, type);
        throw err;
      }
    },
  };
}
