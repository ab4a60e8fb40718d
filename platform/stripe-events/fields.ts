/**
 * Reading a stored Stripe event payload: what the platform's events and Connect events have in
 * common. Only ids and the state the event itself carries (Stripe signed it; `created` orders
 * it): re-reading the object from Stripe would be the alternative, but stale reads are no better
 * than ordered events, and stripe-mock answers re-reads with fixtures.
 */
export type StripeObject = Record<string, any>;

/** An expandable field is an id or the object itself; either way, its id. */
export const idOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof (v as StripeObject)?.id === 'string' ? (v as StripeObject).id : null);

/** Stripe times are epoch seconds; ours are ISO strings. */
export const isoOf = (seconds: unknown): string | undefined => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);

/** The fields every normalised event has, and the object it is about. */
export function eventBase(payload: StripeObject) {
  const obj: StripeObject = payload.data?.object ?? {};
  return { obj, base: { eventId: String(payload.id), type: String(payload.type), created: Number(payload.created ?? 0), objectId: idOf(obj) ?? '' } };
}

/** The subscription state a Subscription object carries; a deletion is always `canceled`. */
export function subscriptionState(sub: StripeObject, deleted: boolean) {
  const item = sub.items?.data?.[0] ?? {};
  // API versions since 2025-03 moved the period from the subscription onto its items.
  return {
    priceId: idOf(item.price),
    planId: (sub.metadata?.planId as string | undefined) ?? null,
    status: deleted ? 'canceled' : (sub.status as string),
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    periodStart: isoOf(sub.current_period_start ?? item.current_period_start),
    periodEnd: isoOf(sub.current_period_end ?? item.current_period_end),
  };
}

/** An invoice's subscription, wherever the API version puts it, and its first line with a period. */
export function invoiceSubscription(inv: StripeObject): { subscriptionId: string | null; line: StripeObject } {
  const line: StripeObject = inv.lines?.data?.find((l: StripeObject) => l.period) ?? {};
  const subscriptionId = idOf(inv.subscription) ?? idOf(inv.parent?.subscription_details?.subscription) ?? idOf(line.subscription);
  return { subscriptionId, line };
}
