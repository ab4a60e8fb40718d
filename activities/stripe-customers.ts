import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { getAccount, setStripeCustomerId } from '../db/accounts';
import { stripeCalls } from './stripe-calls';

export const STRIPE_NOT_CONFIGURED = 'Stripe is not configured (STRIPE_SECRET_KEY is unset); no Stripe customer was created';

/** Stripe calls for platform accounts. Each carries an idempotency key built from a business key. */
export function createStripeCustomerActivities(deps: { db: Db; stripe?: Stripe }) {
  const { rejectedFast } = stripeCalls(deps.stripe);
  return {
    async ensureStripeCustomer(input: { accountId: string }): Promise<{ stripeCustomerId: string | null; skippedReason: string | null }> {
      const account = await getAccount(deps.db, input.accountId);
      if (!account) throw new Error(`account ${input.accountId} not found`);
      if (account.stripeCustomerId) return { stripeCustomerId: account.stripeCustomerId, skippedReason: null };
      // Provisioning goes on without Stripe (the account works, billing does not): a skip, not a failure.
      const stripe = deps.stripe;
      if (!stripe) return { stripeCustomerId: null, skippedReason: STRIPE_NOT_CONFIGURED };
      const customer = await rejectedFast(() =>
        stripe.customers.create(
          { name: account.name, ...(account.email && { email: account.email }), metadata: { accountId: account.id } },
          { idempotencyKey: `account-customer:${account.id}` },
        ),
      );
      // Stored at once, so a retry of the workflow (or a second run) finds it and calls Stripe no more.
      await setStripeCustomerId(deps.db, account.id, customer.id);
      return { stripeCustomerId: (await getAccount(deps.db, account.id))!.stripeCustomerId, skippedReason: null };
    },
  };
}
