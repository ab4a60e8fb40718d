/** Stripe subscription states that still entitle the customer (past_due: while dunning runs). */
export const LIVE_SUBSCRIPTION_STATUSES: readonly string[] = ['active', 'trialing', 'past_due'];
