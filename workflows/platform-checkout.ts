import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { StripeObjectId } from './search-attributes';
import { innermost } from './failures';
import { accountCheckoutOwner, checkoutSlot } from './checkout-slot';
import { checkoutCompletedSignal, checkoutSessionUpdate, checkoutSupersededSignal, type CheckoutResult } from './messages';

// Local activities: someone waits on the HTTP request, and each regular activity costs server
// round trips (measured ~10-40 ms each on a loaded 2-core dev server). All are idempotent
// (DB upserts, Stripe idempotency keys, the checkout slot taken by workflow id), so the re-run after a worker crash (the workflow task
// times out and another worker replays) makes the same session, not a second one.
const acts = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds', backoffCoefficient: 2 },
});
const {
  ensureStripeCustomer,
  createPlatformCheckoutSession,
  changePlatformSubscriptionPlan,
  findEntitledSubscription,
  applySubscriptionPatch,
  recordCheckout,
} = acts;
const { closeCheckout } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

/** How long the session may stay open: Stripe's own expiry of a Checkout Session, 24 h. */
export const CHECKOUT_OPEN_MS = 24 * 3600 * 1000;

export interface PlatformCheckoutInput {
  checkoutId: string;
  accountId: string;
  planId: string;
  successUrl: string;
  cancelUrl: string;
}

export type PlatformCheckoutOutcome = CheckoutResult & { status: 'completed' | 'expired' | 'changed' };

/**
 * One upgrade attempt (id `platform-checkout:<accountId>:<idempotency key>`). The API attaches
 * with Update-with-Start and gets the URL as soon as the session exists; the same request again
 * attaches to the same run and gets the same answer. The plan itself is applied by the
 * subscription workflow from the webhook; this one records how the checkout ended.
 */
export async function platformCheckoutWorkflow(input: PlatformCheckoutInput): Promise<PlatformCheckoutOutcome> {
  let result: CheckoutResult | undefined;
  let failure: string | undefined;
  let failureType = 'CheckoutFailed';
  let completed = false;
  setHandler(checkoutSessionUpdate, async () => {
    await condition(() => result !== undefined || failure !== undefined);
    if (failure !== undefined) throw ApplicationFailure.nonRetryable(failure, failureType);
    return result!;
  });
  let superseded = false;
  setHandler(checkoutCompletedSignal, () => {
    completed = true;
  });
  setHandler(checkoutSupersededSignal, () => {
    superseded = true;
  });

  const { workflowId } = workflowInfo();
  const base = { checkoutId: input.checkoutId, workflowId, accountId: input.accountId, planId: input.planId };
  try {
    const customer = await ensureStripeCustomer({ accountId: input.accountId });
    if (!customer.stripeCustomerId) throw ApplicationFailure.nonRetryable(customer.skippedReason ?? 'no Stripe customer', 'NoStripeCustomer');
    const existing = await findEntitledSubscription({ accountId: input.accountId });
    if (existing) {
      // A second subscription would bill twice: switch the one there is, Stripe prorates.
      await changePlatformSubscriptionPlan({ subscriptionId: existing.subscriptionId, planId: input.planId, idempotencyKey: `${workflowId}:plan-change` });
      // Same event clock as stored: the change applies now, yet any newer Stripe event still wins.
      await applySubscriptionPatch({
        subscriptionId: existing.subscriptionId,
        accountId: input.accountId,
        eventCreated: existing.lastEventCreated,
        planId: input.planId,
      });
      await recordCheckout({ ...base, stripeSessionId: null, url: input.successUrl, status: 'changed' });
      upsertSearchAttributes([{ key: StripeObjectId, value: existing.subscriptionId }]);
      result = { checkoutId: input.checkoutId, url: input.successUrl, mode: 'plan_change' };
      await condition(allHandlersFinished);
      return { ...result, status: 'changed' };
    }
    const slot = checkoutSlot(acts, accountCheckoutOwner(input.accountId));
    await slot.take();
    const session = await createPlatformCheckoutSession({
      ...base,
      customerId: customer.stripeCustomerId,
      successUrl: input.successUrl,
      cancelUrl: input.cancelUrl,
    });
    await slot.keep(session.sessionId, null);
    await recordCheckout({ ...base, stripeSessionId: session.sessionId, url: session.url, status: 'open' });
    upsertSearchAttributes([{ key: StripeObjectId, value: session.sessionId }]);
    result = { checkoutId: input.checkoutId, url: session.url, mode: 'session' };
  } catch (err) {
    // A refusal is a failure raised as one (non-retryable, with its type: Superseded, a Stripe
    // rejection, Stripe not configured...); the API answers it by type. Anything else (retries
    // that ran out on Postgres or Stripe being unreachable, a timeout) tells the caller to try
    // again (503); the same key then resumes with the same session.
    const reason = err instanceof Error ? innermost(err) : undefined;
    failureType = reason instanceof ApplicationFailure && reason.nonRetryable ? (reason.type ?? failureType) : 'Unavailable';
    failure = reason?.message ?? String(err);
    await condition(allHandlersFinished);
    // Superseded is an outcome, not a fault: the update tells the caller (409), the run ends
    // as an expired checkout.
    if (failureType === 'Superseded') return { checkoutId: input.checkoutId, url: '', mode: 'session', status: 'expired' };
    throw err;
  }

  // A newer checkout of the account expired this session: it ends as expired, unless it was
  // paid first (completion wins).
  const done = (await condition(() => completed || superseded, CHECKOUT_OPEN_MS)) && completed;
  await closeCheckout({ checkoutId: input.checkoutId, status: done ? 'completed' : 'expired' });
  await condition(allHandlersFinished);
  return { ...result, status: done ? 'completed' : 'expired' };
}
