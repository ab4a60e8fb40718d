/**
 * The facts app billing takes from a Connect event, normalised from the stored payload (as
 * platform-events.ts does for the platform's own events). `created` orders the events of one
 * subscription; refunds carry Stripe's cumulative `amount_refunded`, which orders itself.
 */
export interface ConnectEvent {
  eventId: string;
  type: string;
  created: number;
  objectId: string;
  /** The connected account the event happened on: the only thing that decides the app. */
  stripeAccountId: string | null;
  subscriptionId: string | null;
  patch?: { customerId?: string | null; planId?: string | null; priceId?: string | null; status?: string; cancelAtPeriodEnd?: boolean; periodStart?: string; periodEnd?: string };
  order?: { orderId: string | null; paymentIntent: string | null; outcome: 'paid' | 'failed' | 'refund'; amountRefunded?: number };
  /** account.updated: whether the connected account may take payments now. */
  capability?: { chargesEnabled: boolean };
}

type Obj = Record<string, any>;
const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof (v as Obj)?.id === 'string' ? (v as Obj).id : null);
const isoOf = (s: unknown): string | undefined => (typeof s === 'number' ? new Date(s * 1000).toISOString() : undefined);

export function fromSubscription(sub: Obj, deleted: boolean): ConnectEvent['patch'] {
  const item = sub.items?.data?.[0] ?? {};
  return {
    customerId: sub.metadata?.customerId ?? null, planId: sub.metadata?.planId ?? null, priceId: idOf(item.price),
    status: deleted ? 'canceled' : sub.status, cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    periodStart: isoOf(sub.current_period_start ?? item.current_period_start), periodEnd: isoOf(sub.current_period_end ?? item.current_period_end),
  };
}

function fromInvoice(inv: Obj, paid: boolean): Pick<ConnectEvent, 'subscriptionId' | 'patch'> {
  const line = inv.lines?.data?.find((l: Obj) => l.period) ?? {};
  const details = inv.parent?.subscription_details ?? {};
  const subscriptionId = idOf(inv.subscription) ?? idOf(details.subscription) ?? idOf(line.subscription);
  // A paid renewal makes the subscription active again; a failed one past due (Stripe's own
  // status for it), whichever of them Stripe created last. The first invoice failing leaves the
  // subscription `incomplete`, as Stripe has it: it never started, so it is not past due.
  const failedStatus = inv.billing_reason === 'subscription_create' ? 'incomplete' : 'past_due';
  const patch = { customerId: details.metadata?.customerId ?? null, status: paid ? 'active' : failedStatus, ...(paid && { periodStart: isoOf(line.period?.start), periodEnd: isoOf(line.period?.end) }) };
  return { subscriptionId, patch };
}

export function normalizeConnectEvent(payload: Obj): ConnectEvent {
  const obj: Obj = payload.data?.object ?? {};
  const base = {
    eventId: String(payload.id), type: String(payload.type), created: Number(payload.created ?? 0), objectId: idOf(obj) ?? '',
    stripeAccountId: typeof payload.account === 'string' ? payload.account : null, subscriptionId: null,
  };
  switch (base.type) {
    case 'checkout.session.completed':
      if (obj.mode === 'subscription') {
        const status = obj.payment_status === 'unpaid' ? undefined : 'active';
        return { ...base, subscriptionId: idOf(obj.subscription), patch: { customerId: obj.metadata?.customerId ?? obj.client_reference_id ?? null, planId: obj.metadata?.planId ?? null, status } };
      }
      // A delayed payment method completes the session unpaid; it is not paid yet.
      if (obj.payment_status === 'unpaid') return base;
      return { ...base, order: { orderId: obj.metadata?.orderId ?? null, paymentIntent: idOf(obj.payment_intent), outcome: 'paid' } };
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return { ...base, subscriptionId: base.objectId, patch: fromSubscription(obj, base.type.endsWith('deleted')) };
    case 'invoice.payment_succeeded':
    case 'invoice.payment_failed':
      return { ...base, ...fromInvoice(obj, base.type.endsWith('succeeded')) };
    case 'payment_intent.payment_failed':
      return { ...base, order: { orderId: obj.metadata?.orderId ?? null, paymentIntent: base.objectId, outcome: 'failed' } };
    case 'charge.refunded':
      return { ...base, order: { orderId: obj.metadata?.orderId ?? null, paymentIntent: idOf(obj.payment_intent), outcome: 'refund', amountRefunded: Number(obj.amount_refunded ?? 0) } };
    case 'account.updated':
      return { ...base, capability: { chargesEnabled: obj.charges_enabled === true } };
    default:
      return base;
  }
}
