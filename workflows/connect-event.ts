import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities, RoutedConnectEvent } from '../activities';
import { AppId, StripeObjectId } from './search-attributes';
import { appSubscriptionEventSignal } from './messages';
import { appSubscriptionWorkflow, appSubscriptionWorkflowId } from './app-subscription';
import { dispatchStripeEvent, signalWithStart, type EventHandlers } from './stripe-event-routing';

const { readConnectEvent, markStripeEvent, forwardToAppSubscriptionWorkflow, applyOrderEvent, applyAccountCapability } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

type Routed = RoutedConnectEvent & { appId: string };

async function toSubscription(event: Routed) {
  if (!event.subscriptionId || !event.patch) return 'ignored' as const;
  const { subscriptionId, appId } = event;
  await forwardToAppSubscriptionWorkflow(
    signalWithStart(appSubscriptionWorkflow, appSubscriptionEventSignal, {
      workflowId: appSubscriptionWorkflowId(subscriptionId),
      args: [{ subscriptionId, appId }],
      signalArgs: [{ ...event, subscriptionId }],
      searchAttributes: [
        { key: AppId, value: appId },
        { key: StripeObjectId, value: subscriptionId },
      ],
    }),
  );
  return 'forwarded' as const;
}

/** Order events apply directly, guarded in SQL (paid only from pending, refunds only upwards). */
async function toOrder(event: Routed) {
  if (!event.order) return 'ignored' as const;
  const outcome = await applyOrderEvent({ appId: event.appId, order: event.order });
  if (outcome === 'ignored') log.warn('order event for no known order', { eventId: event.eventId });
  return outcome;
}

/** Whether the app may sell follows its connected account's charges_enabled. */
async function accountUpdated(event: Routed) {
  if (!event.capability || !event.stripeAccountId) return 'ignored' as const;
  return applyAccountCapability({ stripeAccountId: event.stripeAccountId, chargesEnabled: event.capability.chargesEnabled, eventCreated: event.created });
}

/** A subscription-mode session carries subscription state; a payment-mode one pays an order. */
const checkoutCompleted = (event: Routed) => (event.patch ? toSubscription(event) : toOrder(event));

/** Subscription state goes to the subscription's one workflow, which orders it. */
const CONNECT_HANDLERS: EventHandlers<Routed> = {
  'account.updated': accountUpdated,
  'checkout.session.completed': checkoutCompleted,
  'customer.subscription.updated': toSubscription,
  'customer.subscription.deleted': toSubscription,
  'invoice.payment_succeeded': toSubscription,
  'invoice.payment_failed': toSubscription,
  'payment_intent.payment_failed': toOrder,
  'charge.refunded': toOrder,
};

export const CONNECT_EVENT_TYPES: readonly string[] = Object.keys(CONNECT_HANDLERS);

/**
 * One run per Connect event (id `stripe-event:<event id>`, as for the platform's own events).
 * Reads the stored, verified event with the app its connected account belongs to, and
 * dispatches it.
 */
export async function connectEventWorkflow(input: { eventId: string }): Promise<{ outcome: string }> {
  return dispatchStripeEvent({
    event: await readConnectEvent({ eventId: input.eventId }),
    handlers: CONNECT_HANDLERS,
    tenantKey: AppId,
    tenantOf: (event) => event.appId,
    route: (event, appId): Routed | 'mismatch' => {
      if (!event.mismatch) return { ...event, appId };
      // Parked for an operator: the event's account is not the app that owns its object.
      log.warn("connect event names another app's object", { eventId: event.eventId, objectId: event.objectId });
      return 'mismatch';
    },
    mark: (outcome) => markStripeEvent({ eventId: input.eventId, outcome }),
  });
}
