import { allHandlersFinished, condition, continueAsNew, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities, AppSubscriptionEvent } from '../activities';
import { appSubscriptionEventSignal, appSubscriptionStateQuery } from './messages';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

const EVENTS_PER_RUN = 200;
// Subscription-state events whose same-second ties are settled by a re-read from Stripe; a
// deletion is final and needs none.
const REREAD_ON_TIE = ['customer.subscription.created', 'customer.subscription.updated'];
const SEEN_KEPT = 500;

/**
 * The one workflow of a subscription on a connected account (id `app-subscription:<sub id>`),
 * fed by signal-with-start, as platformSubscriptionWorkflow is for the platform's own. Events
 * apply one at a time; the row keeps only state not older than what it has (Stripe `created`),
 * so an out-of-order or repeated event changes nothing; seen ids skip exact repeats.
 */
export async function appSubscriptionWorkflow(input: { subscriptionId: string; appId: string; seen?: string[] }): Promise<void> {
  let seen = input.seen ?? [];
  const inbox: AppSubscriptionEvent[] = [];
  setHandler(appSubscriptionEventSignal, (event) => { inbox.push(event); });
  setHandler(appSubscriptionStateQuery, () => ({ seen }));

  let handled = 0;
  for (;;) {
    await condition(() => inbox.length > 0);
    while (inbox.length > 0) {
      const e = inbox.shift()!;
      if (seen.includes(e.eventId)) continue;
      let outcome: 'applied' | 'stale' | 'failed' | 'mismatch';
      if (e.appId !== input.appId) {
        // The subscription is this workflow's app's: another app's account cannot change it.
        log.warn('event from another app\'s account', { eventId: e.eventId, appId: e.appId });
        outcome = 'mismatch';
      } else try {
        const target = { subscriptionId: input.subscriptionId, appId: input.appId, eventCreated: e.created };
        let result = await acts.applyAppSubscriptionPatch({ ...target, ...e.patch });
        if (result.tie && REREAD_ON_TIE.includes(e.type)) {
          // Same Stripe second as the state it replaced: Stripe's current state settles it.
          result = await acts.applyAppSubscriptionPatch({ ...target, ...(await acts.rereadAppSubscription(target)) });
        }
        // Two checkouts of one customer were paid: this later subscription goes, the older stays.
        if (result.duplicateOf) await acts.cancelDuplicateAppSubscription({ appId: input.appId, subscriptionId: input.subscriptionId });
        outcome = result.applied ? 'applied' : 'stale';
      } catch (err) {
        // One bad event must not end the subscription's only workflow: record it, go on.
        log.error('event not applied', { eventId: e.eventId, type: e.type, error: String(err) });
        outcome = 'failed';
      }
      seen = [...seen, e.eventId].slice(-SEEN_KEPT);
      await acts.markStripeEvent({ eventId: e.eventId, outcome });
      handled += 1;
    }
    if (handled >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) await continueAsNew<typeof appSubscriptionWorkflow>({ ...input, seen });
    }
  }
}
