import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PlatformBillingEvent } from './platform-events';

// activities/ may not import workflows/: these names must match workflows/platform-subscription.ts
// (workflow type) and workflows/messages.ts (signal name).
const SUBSCRIPTION_WORKFLOW = 'platformSubscriptionWorkflow';
const SUBSCRIPTION_EVENT_SIGNAL = 'subscriptionEvent';
const AccountId = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
const StripeObjectId = defineSearchAttributeKey('StripeObjectId', SearchAttributeType.KEYWORD);

/**
 * Hands an event to the one long-lived workflow of its Stripe subscription, starting it if
 * needed. Workflow code cannot signal-with-start, so this is an activity; a retry may deliver
 * the event twice, which the subscription workflow ignores by event id.
 */
export function createPlatformSignalActivities(deps: { temporal?: Client; taskQueue?: string }) {
  return {
    async forwardToSubscriptionWorkflow(input: { event: PlatformBillingEvent & { subscriptionId: string; accountId: string } }): Promise<void> {
      if (!deps.temporal || !deps.taskQueue) throw new Error('activities need a Temporal client and task queue to signal workflows');
      const { subscriptionId, accountId } = input.event;
      await deps.temporal.workflow.signalWithStart(SUBSCRIPTION_WORKFLOW, {
        workflowId: `platform-subscription:${subscriptionId}`,
        taskQueue: deps.taskQueue,
        args: [{ subscriptionId, accountId }],
        signal: SUBSCRIPTION_EVENT_SIGNAL,
        signalArgs: [input.event],
        typedSearchAttributes: new TypedSearchAttributes([{ key: AccountId, value: accountId }, { key: StripeObjectId, value: subscriptionId }]),
      });
    },
  };
}
