import { eventBase, idOf, invoiceSubscription, isoOf, subscriptionState, type StripeObject } from './fields';

/** The facts platform billing takes from a Stripe event of the platform's own account. */
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

export const subscriptionPatch = (sub: StripeObject, type: string): PlatformBillingEvent['patch'] =>
  subscriptionState(sub, type === 'customer.subscription.deleted');

function invoiceFacts(inv: StripeObject): Pick<PlatformBillingEvent, 'subscriptionId' | 'invoicePeriod'> {
  const { subscriptionId, line } = invoiceSubscription(inv);
  const period = line.period ?? { start: inv.period_start, end: inv.period_end };
  const start = isoOf(period.start);
  const end = isoOf(period.end);
  return { subscriptionId, ...(start && end && { invoicePeriod: { start, end } }) };
}

/** Normalises one stored event payload; accountId is resolved afterwards (metadata or customer). */
export function normalizePlatformEvent(payload: StripeObject): Omit<PlatformBillingEvent, 'accountId'> & { metadataAccountId: string | null } {
  const { obj, base: common } = eventBase(payload);
  const base = { ...common, customerId: idOf(obj.customer), metadataAccountId: (obj.metadata?.accountId as string | undefined) ?? null };
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
