import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { getAccount } from '../db/accounts';

export const STRIPE_NOT_CONFIGURED = 'Stripe is not configured (STRIPE_SECRET_KEY is unset); no Stripe customer was created';

/** Stripe calls for platform accounts. Each carries an idempotency key built from a business key. */
export function createStripeCustomerActivities(deps: { db: Db; stripe?: Stripe }) {
  return {
    async ensureStripeCustomer(input: { accountId: string }): Promise<{ stripeCustomerId: string | null; skippedReason: string | null }> {
      const account = await getAccount(deps.db, input.accountId);
      if (!account) throw new Error(`account ${input.accountId} not found`);
      if (account.stripeCustomerId) return { stripeCustomerId: account.stripeCustomerId, skippedReason: null };
      if (!deps.stripe) return { stripeCustomerId: null, skippedReason: STRIPE_NOT_CONFIGURED };
      const customer = await deps.stripe.customers.create(
        { name: account.name, ...(account.email && { email: account.email }), metadata: { accountId: account.id } },
        { idempotencyKey: `account-customer:${account.id}` },
      );
      // Stored at once, so a retry of the workflow (or a second run) finds it and calls Stripe no more.
      await deps.db.query('UPDATE accounts SET stripe_customer_id = coalesce(stripe_customer_id, $2) WHERE id = $1', [account.id, customer.id]);
      return { stripeCustomerId: (await getAccount(deps.db, account.id))!.stripeCustomerId, skippedReason: null };
    },
  };
}
