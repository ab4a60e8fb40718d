import type { Db } from '../platform/pg';
import { getStripeEvent } from '../db/stripe-events';
import { appIdOfStripeAccount, applyAccountCapability } from '../db/apps';
import { appOfSubscription, applyAppSubscriptionPatch, type AppSubscriptionPatch } from '../db/app-subscriptions';
import { appOfOrder, applyOrderRefund, getOrder, markOrderFailed, markOrderPaid, orderIdOfPaymentIntent } from '../db/orders';
import { appPlans, planOfPatch } from './plan-of-patch';
import { normalizeConnectEvent, type ConnectEvent } from '../platform/stripe-events/connect';

/** `mismatch`: the object the event names belongs to another app than its connected account's. */
export type RoutedConnectEvent = ConnectEvent & { appId: string | null; mismatch?: boolean };

/** App billing state from Connect events. Every write is guarded: safe to retry and repeat. */
export function createConnectStateActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * The stored event with its app: only the connected account decides it. Metadata is the
     * app's customers' input path and could name any app, so it never routes; a plan named in
     * metadata or by Price counts only if it belongs to that app.
     */
    async readConnectEvent(input: { eventId: string }): Promise<RoutedConnectEvent | null> {
      const stored = await getStripeEvent(db, input.eventId);
      if (!stored) return null;
      const event = normalizeConnectEvent(stored.payload as Record<string, any>);
      const account = stored.account ?? event.stripeAccountId;
      const appId = account ? ((await appIdOfStripeAccount(db, account)) ?? null) : null;
      // A signed event from app A's account naming app B's subscription or order must not touch
      // it: the account decides the app, and the object has to be that app's.
      const owner = !appId
        ? undefined
        : event.subscriptionId
          ? await appOfSubscription(db, event.subscriptionId)
          : event.order
            ? await appOfOrder(db, event.order)
            : undefined;
      if (owner && owner !== appId) return { ...event, appId, mismatch: true };
      if (appId && event.patch) event.patch.planId = await planOfPatch(event.patch, appPlans(db, appId));
      return { ...event, appId };
    },

    async applyAccountCapability(input: { stripeAccountId: string; chargesEnabled: boolean; eventCreated: number }): Promise<'applied' | 'stale'> {
      return (await applyAccountCapability(db, input.stripeAccountId, input.chargesEnabled, input.eventCreated)) ? 'applied' : 'stale';
    },

    async applyAppSubscriptionPatch(input: AppSubscriptionPatch): Promise<{ applied: boolean; duplicateOf: string | null; tie: boolean }> {
      return applyAppSubscriptionPatch(db, input);
    },

    /** `stale` when the order already moved past this event (or it repeats a refund). */
    async applyOrderEvent(input: { appId: string; order: NonNullable<ConnectEvent['order']> }): Promise<'applied' | 'stale' | 'ignored'> {
      const { appId, order } = input;
      const known = order.orderId ? await getOrder(db, appId, order.orderId) : undefined;
      const orderId = known?.id ?? (order.paymentIntent ? await orderIdOfPaymentIntent(db, appId, order.paymentIntent) : undefined);
      if (!orderId) return 'ignored';
      const applied =
        order.outcome === 'paid'
          ? await markOrderPaid(db, appId, orderId, order.paymentIntent)
          : order.outcome === 'failed'
            ? await markOrderFailed(db, appId, orderId, order.paymentIntent)
            : await applyOrderRefund(db, appId, orderId, order.amountRefunded ?? 0);
      return applied ? 'applied' : 'stale';
    },
  };
}
