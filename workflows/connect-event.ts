import { log, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { AppId, StripeObjectId } from './search-attributes';

const { readConnectEvent, markStripeEvent, forwardToAppSubscriptionWorkflow, applyOrderEvent, applyAccountCapability } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

/** The Connect event types handled; the API records every other type without a workflow. */
export const CONNECT_EVENT_TYPES: readonly string[] = [
  'account.updated', 'checkout.session.completed', 'customer.subscription.updated', 'customer.subscription.deleted',
  'invoice.payment_succeeded', 'invoice.payment_failed', 'payment_intent.payment_failed', 'charge.refunded',
];

/**
 * One run per Connect event (id `stripe-event:<event id>`, as for the platform's own events).
 * Subscription state goes to the subscription's one workflow, which orders it; order events
 * apply directly, guarded in SQL (paid only from pending, refunds only upwards).
 */
export async function connectEventWorkflow(input: { eventId: string }): Promise<{ outcome: string }> {
  const event = await readConnectEvent({ eventId: input.eventId });
  const done = async (outcome: 'ignored' | 'unknown_account' | 'applied' | 'stale' | 'mismatch') => {
    await markStripeEvent({ eventId: input.eventId, outcome });
    return { outcome };
  };
  if (!event) return done('ignored');
  if (event.objectId) upsertSearchAttributes([{ key: StripeObjectId, value: event.objectId }]);
  // An account we do not know is kept for an operator, never guessed onto another tenant.
  if (!event.appId) return done('unknown_account');
  upsertSearchAttributes([{ key: AppId, value: event.appId }]);
  // Parked for an operator: the event's account is not the app that owns its object.
  if (event.mismatch) {
    log.warn('connect event names another app\'s object', { eventId: event.eventId, objectId: event.objectId });
    return done('mismatch');
  }
  if (event.subscriptionId && event.patch) {
    await forwardToAppSubscriptionWorkflow({ event: { ...event, appId: event.appId, subscriptionId: event.subscriptionId } });
    return { outcome: 'forwarded' };
  }
  if (event.capability && event.stripeAccountId) {
    // Whether the app may sell follows its connected account's charges_enabled.
    return done(await applyAccountCapability({ stripeAccountId: event.stripeAccountId, chargesEnabled: event.capability.chargesEnabled, eventCreated: event.created }));
  }
  if (event.order) {
    const outcome = await applyOrderEvent({ appId: event.appId, order: event.order });
    if (outcome === 'ignored') log.warn('order event for no known order', { eventId: event.eventId });
    return done(outcome);
  }
  return done('ignored');
}
