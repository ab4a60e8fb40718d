import { continueAsNew, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities, PlatformBillingEvent } from '../activities';
import { subscriptionEventSignal, subscriptionStateQuery, type SubscriptionWorkflowState } from './messages';
import { runEventInbox } from './event-inbox';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

/** Grace period of a failed payment before the account is downgraded. */
export const GRACE_PERIOD_MS = 7 * 24 * 3600 * 1000;
/** Events per run before continue-as-new keeps the history short. */
export const EVENTS_PER_RUN = 200;
// Subscription-state events whose same-second ties are settled by a re-read from Stripe; a
// deletion is final and needs none.
const REREAD_ON_TIE = ['customer.subscription.created', 'customer.subscription.updated'];
// After a failed grace-expiry step, when to try it again.
const GRACE_RETRY_MS = 60 * 60 * 1000;

export const platformSubscriptionWorkflowId = (subscriptionId: string) => `platform-subscription:${subscriptionId}`;

export interface PlatformSubscriptionInput {
  subscriptionId: string;
  accountId: string;
  state?: SubscriptionWorkflowState;
}

/**
 * The one workflow of a Stripe subscription (id `platform-subscription:<sub id>`), fed events by
 * signal-with-start. Events are applied one at a time, in arrival order; the database keeps
 * only state newer than what it has (Stripe `created`), and the seen-ids list drops repeats.
 * Dunning: a failed payment opens a grace period, a later success closes it, otherwise the
 * subscription is cancelled and the account falls back to the default plan.
 */
export async function platformSubscriptionWorkflow(input: PlatformSubscriptionInput): Promise<void> {
  const { subscriptionId, accountId } = input;
  const state: SubscriptionWorkflowState = input.state ?? { seen: [], lastPaidCreated: 0, lastFailedCreated: 0, graceUntil: null, dunningEventId: null };
  setHandler(subscriptionStateQuery, () => state);

  const endDunning = async () => {
    if (state.graceUntil === null) return;
    state.graceUntil = null;
    state.dunningEventId = null;
    await acts.setSubscriptionGrace({ subscriptionId, graceUntil: null });
  };

  const apply = async (e: PlatformBillingEvent): Promise<'applied' | 'stale'> => {
    if (e.type === 'invoice.payment_succeeded') {
      state.lastPaidCreated = Math.max(state.lastPaidCreated, e.created);
      if (e.created >= state.lastFailedCreated) await endDunning();
      if (e.invoicePeriod) await acts.renewBillingPeriod({ accountId, subscriptionId, periodStart: e.invoicePeriod.start, periodEnd: e.invoicePeriod.end });
      return 'applied';
    }
    if (e.type === 'invoice.payment_failed') {
      state.lastFailedCreated = Math.max(state.lastFailedCreated, e.created);
      // A success Stripe recorded after this failure settles it, whatever order they came in.
      if (e.created < state.lastPaidCreated) return 'stale';
      if (state.graceUntil === null) {
        state.graceUntil = Date.now() + GRACE_PERIOD_MS;
        state.dunningEventId = e.eventId;
        await acts.setSubscriptionGrace({ subscriptionId, graceUntil: new Date(state.graceUntil).toISOString() });
      }
      return 'applied';
    }
    if (!e.patch) return 'stale';
    const { planId, status, cancelAtPeriodEnd, periodStart, periodEnd } = e.patch;
    let result = await acts.applySubscriptionPatch({
      subscriptionId,
      accountId,
      eventCreated: e.created,
      planId,
      status,
      cancelAtPeriodEnd,
      periodStart,
      periodEnd,
    });
    if (result.tie && REREAD_ON_TIE.includes(e.type)) {
      // Same Stripe second as the state it replaced: arrival order is no order. Stripe's
      // current state settles it (plan metadata-less re-reads keep the stored plan).
      const fresh = await acts.rereadPlatformSubscription({ subscriptionId });
      result = await acts.applySubscriptionPatch({ subscriptionId, accountId, eventCreated: e.created, ...fresh });
    }
    if (result.duplicateOf) {
      // Two checkouts were paid: this later subscription goes, the account keeps the older one.
      log.warn('duplicate subscription: cancelling and refunding it', { subscriptionId, keeps: result.duplicateOf });
      await acts.cancelDuplicatePlatformSubscription({ subscriptionId });
      await endDunning();
      return 'applied';
    }
    if (result.applied && ['canceled', 'incomplete_expired'].includes(result.status)) await endDunning();
    return result.applied ? 'applied' : 'stale';
  };

  const graceExpired = async () => {
    log.info('grace period over unpaid: cancelling', { subscriptionId, accountId });
    await acts.cancelPlatformSubscription({ subscriptionId, idempotencyKey: `platform-dunning-cancel:${subscriptionId}:${state.dunningEventId}` });
    await acts.endSubscriptionForNonPayment({ subscriptionId });
    state.graceUntil = null;
    state.dunningEventId = null;
  };

  await runEventInbox({
    signal: subscriptionEventSignal,
    state,
    eventsPerRun: EVENTS_PER_RUN,
    apply,
    record: (eventId, outcome) => acts.markStripeEvent({ eventId, outcome }),
    deadline: {
      at: () => state.graceUntil,
      reached: async () => {
        try {
          await graceExpired();
        } catch (err) {
          // Activities already retried; a lasting failure (e.g. Stripe refusing the cancel) must not
          // end the subscription's only workflow and its state: log it and try again in an hour.
          log.error('grace expiry failed; retrying in an hour', { subscriptionId, error: String(err) });
          state.graceUntil = Date.now() + GRACE_RETRY_MS;
        }
      },
    },
    continueAsNew: () => continueAsNew<typeof platformSubscriptionWorkflow>({ subscriptionId, accountId, state }),
  });
}
