import { ApplicationFailure, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { checkoutSupersededSignal } from './messages';

/** Slot owners: one in-flight checkout per platform account, and per customer of an app. */
export const accountCheckoutOwner = (accountId: string) => `account:${accountId}`;
export const appCustomerCheckoutOwner = (appId: string, customerId: string) => `app:${appId}:${customerId}`;

type SlotActivities = Pick<Activities, 'claimCheckoutSlot' | 'holdCheckoutSlot' | 'expireCheckoutSession'>;

/**
 * One checkout in flight per buyer, newest wins (activities/checkout-slots.ts). Before making a
 * session: take the buyer's slot, expire the previous holder's session on Stripe and tell its
 * workflow. After: keep the slot, or, when a newer checkout took it meanwhile, expire this
 * session too and fail with `Superseded` (the API answers 409).
 */
export function checkoutSlot(acts: SlotActivities, owner: string) {
  const { workflowId } = workflowInfo();
  return {
    async take(): Promise<void> {
      const before = await acts.claimCheckoutSlot({ owner, workflowId });
      // A holder without a session yet finds out itself (keep fails); signalling it now could
      // land while it is finishing its first task, which the server then refuses.
      if (!before?.sessionId) return;
      await acts.expireCheckoutSession({ sessionId: before.sessionId, stripeAccount: before.stripeAccount });
      try {
        await getExternalWorkflowHandle(before.workflowId).signal(checkoutSupersededSignal);
      } catch (err) {
        // Already finished (Connect checkouts end once their session exists): nothing to tell.
        log.info('superseded checkout workflow not signalled', { workflowId: before.workflowId, error: String(err) });
      }
    },
    async keep(sessionId: string, stripeAccount: string | null): Promise<void> {
      if (await acts.holdCheckoutSlot({ owner, workflowId, sessionId, stripeAccount })) return;
      await acts.expireCheckoutSession({ sessionId, stripeAccount });
      throw ApplicationFailure.nonRetryable('A newer checkout for the same buyer started meanwhile; this one was expired', 'Superseded');
    },
  };
}
