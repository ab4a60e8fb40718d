import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConnectEvent, PlatformBillingEvent } from '../activities';

/** What POST /dashboard/billing/checkout answers, straight from the checkout workflow. */
export interface CheckoutResult {
  checkoutId: string;
  url: string;
  /** `session`: pay on Stripe Checkout; `plan_change`: the existing subscription was switched (prorated). */
  mode: 'session' | 'plan_change';
}

/** Update-with-Start target: resolves once the Checkout Session exists (or fails with why). */
export const checkoutSessionUpdate = defineUpdate<CheckoutResult>('checkoutSession');
/** Sent by the platform's event workflow on checkout.session.completed. */
export const checkoutCompletedSignal = defineSignal<[{ eventId: string; subscriptionId: string | null }]>('checkoutCompleted');
/** A newer checkout of the same buyer took the slot and expired this one's session. */
export const checkoutSupersededSignal = defineSignal('checkoutSuperseded');

/** Sent with signal-with-start by the platform's event workflow (workflows/platform-event.ts). */
export const subscriptionEventSignal = defineSignal<[PlatformBillingEvent]>('subscriptionEvent');

export interface SubscriptionWorkflowState {
  /** Recently handled event ids: a redelivered event is not applied twice. */
  seen: string[];
  lastPaidCreated: number;
  lastFailedCreated: number;
  /** Epoch ms while a failed payment's grace period runs. */
  graceUntil: number | null;
  /** The failed invoice event that opened the current grace period. */
  dunningEventId: string | null;
}
export const subscriptionStateQuery = defineQuery<SubscriptionWorkflowState>('subscriptionState');

/** What POST .../connect/onboard answers: a fresh Account Link for the app's one connected account. */
export interface AccountLinkResult {
  stripeAccountId: string;
  url: string;
  expiresAt: string;
  accountCreated: boolean;
}
export const accountLinkUpdate = defineUpdate<AccountLinkResult, [{ refreshUrl: string; returnUrl: string }]>('accountLink');
export interface OnboardingState {
  stripeAccountId: string | null;
  linksIssued: number;
}
export const onboardingStateQuery = defineQuery<OnboardingState>('onboardingState');

/** A Connect event with the app its connected account decided, for the subscription's workflow. */
export type AppSubscriptionEvent = ConnectEvent & { appId: string; subscriptionId: string };
/** Sent with signal-with-start by the Connect event workflow (workflows/connect-event.ts). */
export const appSubscriptionEventSignal = defineSignal<[AppSubscriptionEvent]>('appSubscriptionEvent');
export const appSubscriptionStateQuery = defineQuery<{ seen: string[] }>('appSubscriptionState');

/** Usage reporting (workflows/usage-reporting.ts): report now and answer with the result. */
export interface UsageReportingState {
  reports: number;
  /** The last report's per-meter metered vs reported overage (whole units, decimal text). */
  last: { meters: Record<string, { metered: string; reported: string }>; skipped?: string; periodEnd?: string; at: string } | null;
  /** Stripe refused the last report (bad meter, deleted customer): no automatic retry until asked. */
  failure: string | null;
  /** A later, overlapping period replaced this one; its ledger moved there and this workflow ended. */
  superseded?: boolean;
}
export const reportUsageUpdate = defineUpdate<UsageReportingState>('reportUsage');
export const usageReportingStateQuery = defineQuery<UsageReportingState>('usageReportingState');
