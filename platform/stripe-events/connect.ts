import { eventBase, idOf, invoiceSubscription, isoOf, subscriptionState, type StripeObject } from './fields';

/**
 * The facts app billing takes from an event on a connected account. `created` orders the events
 * of one subscription; refunds carry Stripe's cumulative `amount_refunded`, which orders itself.
 */
export interface ConnectEvent {
  eventId: string;
  type: string;
  created: number;
  objectId: string;
  /** The connected account the event happened on: the only thing that decides the app. */
  stripeAccountId: string | null;
  subscriptionId: string | null;
  patch?: {
    customerId?: string | null;
    planId?: string | null;
    priceId?: string | null;
    status?: string;
    cancelAtPeriodEnd?: boolean;
    periodStart?: string;
    periodEnd?: string;
  };
  order?: { orderId: string | null; paymentIntent: string | null; outcome: 'paid' | 'failed' | 'refund'; amountRefunded?: number };
  /** account.updated: whether the connected account may take payments now. */
  capability?: { chargesEnabled: boolean };
}

export const fromSubscription = (sub: StripeObject, deleted: boolean): ConnectEvent['patch'] => ({
  customerId: sub.metadata?.customerId ?? null,
  ...subscriptionState(sub, deleted),
});

function fromInvoice(inv: StripeObject, paid: boolean): Pick<ConnectEvent, 'subscriptionId' | 'patch'> {
  const { subscriptionId, line } = invoiceSubscription(inv);
  const customerId = inv.parent?.subscription_details?.metadata?.customerId ?? null;
  // A paid renewal makes the subscription active again; a failed one past due (Stripe's own
  // status for it), whichever of them Stripe created last. The first invoice failing leaves the
  // subscription `incomplete`, as Stripe has it: it never started, so it is not past due.
  const failedStatus = inv.billing_reason === 'subscription_create' ? 'incomplete' : 'past_due';
  const patch = {
    customerId,
    status: paid ? 'active' : failedStatus,
    ...(paid && { periodStart: isoOf(line.period?.start), periodEnd: isoOf(line.period?.end) }),
  };
  return { subscriptionId, patch };
}

export function normalizeConnectEvent(payload: StripeObject): ConnectEvent {
  const { obj, base: common } = eventBase(payload);
  const base = { ...common, stripeAccountId: typeof payload.account === 'string' ? payload.account : null, subscriptionId: null };
  const orderId: string | null = obj.metadata?.orderId ?? null;
  switch (base.type) {
    case 'checkout.session.completed':
      if (obj.mode === 'subscription') {
        const status = obj.payment_status === 'unpaid' ? undefined : 'active';
        return {
          ...base,
          subscriptionId: idOf(obj.subscription),
          patch: { customerId: obj.metadata?.customerId ?? obj.client_reference_id ?? null, planId: obj.metadata?.planId ?? null, status },
        };
      }
      // A delayed payment method completes the session unpaid; it is not paid yet.
      if (obj.payment_status === 'unpaid') return base;
      return { ...base, order: { orderId, paymentIntent: idOf(obj.payment_intent), outcome: 'paid' } };
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return { ...base, subscriptionId: base.objectId, patch: fromSubscription(obj, base.type.endsWith('deleted')) };
    case 'invoice.payment_succeeded':
    case 'invoice.payment_failed':
      return { ...base, ...fromInvoice(obj, base.type.endsWith('succeeded')) };
    case 'payment_intent.payment_failed':
      return { ...base, order: { orderId, paymentIntent: base.objectId, outcome: 'failed' } };
    case 'charge.refunded':
      return { ...base, order: { orderId, paymentIntent: idOf(obj.payment_intent), outcome: 'refund', amountRefunded: Number(obj.amount_refunded ?? 0) } };
    case 'account.updated':
      return { ...base, capability: { chargesEnabled: obj.charges_enabled === true } };
    default:
      return base;
  }
}
