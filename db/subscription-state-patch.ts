/**
 * The state one Stripe event carries about a subscription, platform or app alike. Fields the
 * event lacks keep their stored value; `eventCreated` (Stripe `created`, in seconds) orders
 * events, so older state never overwrites newer.
 */
export interface SubscriptionStatePatch {
  eventCreated: number;
  planId?: string | null;
  status?: string;
  cancelAtPeriodEnd?: boolean;
  periodStart?: string;
  periodEnd?: string;
}

/**
 * The patch as consecutive SQL parameters: plan, status, cancel at period end, period start,
 * period end (null: keep the stored value), then the event's `created`.
 */
export const statePatchParams = (p: SubscriptionStatePatch) => [
  p.planId ?? null,
  p.status ?? null,
  p.cancelAtPeriodEnd ?? null,
  p.periodStart ?? null,
  p.periodEnd ?? null,
  p.eventCreated,
];

/**
 * Stripe's `created` has one-second resolution: state applied over state from an event of the
 * same second was ordered by arrival alone, and the caller re-reads Stripe to settle it.
 */
export const isTie = (before: { last_event_created: string } | undefined, eventCreated: number) =>
  before !== undefined && Number(before.last_event_created) === eventCreated;
