import type { Db } from '../platform/pg';
import { getStripeEvent, markStripeEvent, type StripeEventOutcome } from '../db/stripe-events';
import { closeCheckout, recordCheckout, type Checkout, type CheckoutStatus } from '../db/checkouts';
import {
  applySubscriptionPatch,
  endForNonPayment,
  entitledSubscription,
  renewSubscriptionPeriod,
  setGrace,
  type SubscriptionPatch,
} from '../db/platform-subscriptions';
import { accountExists, accountIdOfCustomer } from '../db/accounts';
import { renewAccountPeriod } from '../db/account-periods';
import { planOfPatch, platformPlans } from './plan-of-patch';
import { normalizePlatformEvent, type PlatformBillingEvent } from '../platform/stripe-events/platform';

/** Platform billing state in Postgres. Every write is an upsert or a guarded update: safe to retry. */
export function createPlatformBillingStateActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** The stored (verified) event, normalised, with its account and plan resolved; null if unknown. */
    async readPlatformEvent(input: { eventId: string }): Promise<PlatformBillingEvent | null> {
      const stored = await getStripeEvent(db, input.eventId);
      if (!stored) return null;
      const { metadataAccountId, ...event } = normalizePlatformEvent(stored.payload as Record<string, any>);
      // metadata.accountId is ours (set on the session and subscription); the customer mapping
      // covers subscriptions made outside our checkout, e.g. in the Stripe dashboard.
      const byMetadata = metadataAccountId && (await accountExists(db, metadataAccountId)) ? metadataAccountId : undefined;
      const accountId = byMetadata ?? (event.customerId ? await accountIdOfCustomer(db, event.customerId) : undefined) ?? null;
      if (event.patch) event.patch.planId = await planOfPatch(event.patch, platformPlans(db));
      return { ...event, accountId };
    },
    async markStripeEvent(input: { eventId: string; outcome: StripeEventOutcome }): Promise<void> {
      await markStripeEvent(db, input.eventId, input.outcome);
    },
    async recordCheckout(input: Omit<Checkout, 'id' | 'createdAt'> & { checkoutId: string }): Promise<void> {
      await recordCheckout(db, { id: input.checkoutId, ...input });
    },
    async closeCheckout(input: { checkoutId: string; status: Exclude<CheckoutStatus, 'open'> }): Promise<void> {
      await closeCheckout(db, input.checkoutId, input.status);
    },
    /** The account's subscription that still entitles it to a paid plan: a plan change goes there. */
    async findEntitledSubscription(input: { accountId: string }): Promise<{ subscriptionId: string; planId: string | null; lastEventCreated: number } | null> {
      return entitledSubscription(db, input.accountId);
    },
    async applySubscriptionPatch(
      input: SubscriptionPatch,
    ): Promise<{ applied: boolean; status: string; planId: string | null; duplicateOf: string | null; tie: boolean }> {
      const { applied, subscription, duplicateOf, tie } = await applySubscriptionPatch(db, input);
      return { applied, status: subscription.status, planId: subscription.planId, duplicateOf, tie };
    },
    /** A paid invoice: the subscription's and the account's period move forward to it. */
    async renewBillingPeriod(input: { accountId: string; subscriptionId: string; periodStart: string; periodEnd: string }): Promise<boolean> {
      await renewSubscriptionPeriod(db, input);
      return renewAccountPeriod(db, input);
    },
    async setSubscriptionGrace(input: { subscriptionId: string; graceUntil: string | null }): Promise<void> {
      await setGrace(db, input.subscriptionId, input.graceUntil);
    },
    async endSubscriptionForNonPayment(input: { subscriptionId: string }): Promise<void> {
      await endForNonPayment(db, input.subscriptionId);
    },
  };
}
