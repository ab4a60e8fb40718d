import { continueAsNew, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { appSubscriptionEventSignal, appSubscriptionStateQuery } from './messages';
import { runEventInbox } from './event-inbox';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

const EVENTS_PER_RUN = 200;
// Subscription-state events whose same-second ties are settled by a re-read from Stripe; a
// deletion is final and needs none.
const REREAD_ON_TIE = ['customer.subscription.created', 'customer.subscription.updated'];

export const appSubscriptionWorkflowId = (subscriptionId: string) => `app-subscription:${subscriptionId}`;

/**
 * The one workflow of a subscription on a connected account (id `app-subscription:<sub id>`),
 * fed by signal-with-start, as platformSubscriptionWorkflow is for the platform's own. Events
 * apply one at a time; the row keeps only state not older than what it has (Stripe `created`),
 * so an out-of-order or repeated event changes nothing; seen ids skip exact repeats.
 */
export async function appSubscriptionWorkflow(input: { subscriptionId: string; appId: string; seen?: string[] }): Promise<void> {
  const state = { seen: input.seen ?? [] };
  setHandler(appSubscriptionStateQuery, () => ({ seen: state.seen }));
  await runEventInbox({
    signal: appSubscriptionEventSignal,
    state,
    eventsPerRun: EVENTS_PER_RUN,
    apply: async (e) => {
      if (e.appId !== input.appId) {
        // The subscription is this workflow's app's: another app's account cannot change it.
        log.warn("event from another app's account", { eventId: e.eventId, appId: e.appId });
        return 'mismatch';
      }
      const target = { subscriptionId: input.subscriptionId, appId: input.appId, eventCreated: e.created };
      let result = await acts.applyAppSubscriptionPatch({ ...target, ...e.patch });
      if (result.tie && REREAD_ON_TIE.includes(e.type)) {
        // Same Stripe second as the state it replaced: Stripe's current state settles it.
        result = await acts.applyAppSubscriptionPatch({ ...target, ...(await acts.rereadAppSubscription(target)) });
      }
      // Two checkouts of one customer were paid: this later subscription goes, the older stays.
      if (result.duplicateOf) await acts.cancelDuplicateAppSubscription({ appId: input.appId, subscriptionId: input.subscriptionId });
      return result.applied ? 'applied' : 'stale';
    },
    record: (eventId, outcome) => acts.markStripeEvent({ eventId, outcome }),
    continueAsNew: () => continueAsNew<typeof appSubscriptionWorkflow>({ ...input, seen: state.seen }),
  });
}
