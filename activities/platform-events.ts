/**
 * The facts platform billing takes from a Stripe event, normalised from the stored payload.
 * Only ids and the state the event itself carries (Stripe signed it; `created` orders it):
 * re-reading the object from Stripe would be the alternative, but stale reads are no better
 * than ordered events, and stripe-mock answers re-reads with fixtures.
 */
export interface PlatformBillingEvent {
  eventId: string;
  type: string;
  /** Stripe `created`, seconds: orders events of one object. */
  created: number;
  objectId: string;
  customerId: string | null;
  accountId: string | null;
  subscriptionId: string | null;
  checkout?: { checkoutId: string | null; workflowId: string | null };
  /** Subscription state the event carries (checkout and customer.subscription.* events). */
  patch?: { planId?: string | null; priceId?: string | null; status?: string; cancelAtPeriodEnd?: boolean; periodStart?: string; periodEnd?: string };
  /** The service period an invoice paid for (or failed to). */
  invoicePeriod?: { start: string; end: string };
}

type Obj = Record<string, any>;
const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof (v as Obj)?.id === 'string' ? (v as Obj).id : null);
const isoOf = (seconds: unknown): string | undefined => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);

export function subscriptionPatch(sub: Obj, type: string): PlatformBillingEvent['patch'] {
  const item = sub.items?.data?.[0] ?? {};
  // API versions since 2025-03 moved the period from the subscription onto its items.
  const start = sub.current_period_start ?? item.current_period_start;
  const end = sub.current_period_end ?? item.current_period_end;
  return {
    priceId: idOf(item.price),
    planId: sub.metadata?.planId ?? null,
    status: type === 'customer.subscription.deleted' ? 'canceled' : sub.status,
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    periodStart: isoOf(start),
    periodEnd: isoOf(end),
  };
}

function invoiceFacts(inv: Obj): Pick<PlatformBillingEvent, 'subscriptionId' | 'invoicePeriod'> {
  const line = inv.lines?.data?.find((l: Obj) => l.period) ?? {};
  const period = line.period ?? { start: inv.period_start, end: inv.period_end };
  const subscriptionId = idOf(inv.subscription) ?? idOf(inv.parent?.subscription_details?.subscription) ?? idOf(line.subscription);
  const start = isoOf(period.start);
  const end = isoOf(period.end);
  return { subscriptionId, ...(start && end && { invoicePeriod: { start, end } }) };
}

/** Normalises one stored event payload; accountId is resolved afterwards (metadata or customer). */
export function normalizePlatformEvent(payload: Obj): Omit<PlatformBillingEvent, 'accountId'> & { metadataAccountId: string | null } {
  const obj: Obj = payload.data?.object ?? {};
  const base = {
    eventId: String(payload.id), type: String(payload.type), created: Number(payload.created ?? 0),
    objectId: idOf(obj) ?? '', customerId: idOf(obj.customer), metadataAccountId: (obj.metadata?.accountId as string | undefined) ?? null,
  };
  switch (base.type) {
    case 'checkout.session.completed':
      return {
        ...base,
        metadataAccountId: base.metadataAccountId ?? obj.client_reference_id ?? null,
        subscriptionId: idOf(obj.subscription),
        checkout: { checkoutId: obj.metadata?.checkoutId ?? null, workflowId: obj.metadata?.checkoutWorkflowId ?? null },
        // A delayed payment method completes the session unpaid; the subscription events follow.
        patch: { planId: obj.metadata?.planId ?? null, ...(obj.payment_status !== 'unpaid' && { status: 'active' }) },
      };
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return { ...base, subscriptionId: base.objectId, patch: subscriptionPatch(obj, base.type) };
    case 'invoice.payment_succeeded':
    case 'invoice.payment_failed':
      // Invoices carry a snapshot of their subscription's metadata, where our accountId is.
      return { ...base, metadataAccountId: base.metadataAccountId ?? obj.parent?.subscription_details?.metadata?.accountId ?? null, ...invoiceFacts(obj) };
    default:
      return { ...base, subscriptionId: null };
  }
}
