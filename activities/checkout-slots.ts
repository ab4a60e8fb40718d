import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { claimCheckoutSlot, holdCheckoutSlot, type SlotHolder } from '../db/checkout-slots';

/**
 * One checkout in flight per buyer (platform account, or app customer): the newest request
 * wins, as Stripe users expect from clicking "upgrade" again in another tab. The older session
 * is expired on Stripe so it can no longer be paid; a session paid before its expiry is the
 * subscription workflow's to undo (it cancels the later of two live subscriptions).
 */
export function createCheckoutSlotActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe } = stripeCalls(deps.stripe);
  return {
    async claimCheckoutSlot(input: { owner: string; workflowId: string }): Promise<SlotHolder | null> {
      return claimCheckoutSlot(deps.db, input.owner, input.workflowId);
    },
    async holdCheckoutSlot(input: { owner: string; workflowId: string; sessionId: string; stripeAccount: string | null }): Promise<boolean> {
      return holdCheckoutSlot(deps.db, input.owner, input.workflowId, input.sessionId, input.stripeAccount);
    },
    /** False when the session is past expiring (already completed or expired): nothing to do. */
    async expireCheckoutSession(input: { sessionId: string; stripeAccount: string | null }): Promise<boolean> {
      try {
        await stripe().checkout.sessions.expire(
          input.sessionId,
          {},
          {
            idempotencyKey: `expire:${input.sessionId}`,
            ...(input.stripeAccount && { stripeAccount: input.stripeAccount }),
          },
        );
        return true;
      } catch (err) {
        if ((err as { type?: string }).type === 'StripeInvalidRequestError') return false;
        throw err;
      }
    },
  };
}
