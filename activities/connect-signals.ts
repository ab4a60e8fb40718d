import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ConnectEvent } from './connect-events';

// activities/ may not import workflows/: these names must match workflows/app-subscription.ts
// (workflow type) and workflows/messages.ts (signal name).
const APP_SUBSCRIPTION_WORKFLOW = 'appSubscriptionWorkflow';
const APP_SUBSCRIPTION_EVENT_SIGNAL = 'appSubscriptionEvent';
const AppId = defineSearchAttributeKey('AppId', SearchAttributeType.KEYWORD);
const StripeObjectId = defineSearchAttributeKey('StripeObjectId', SearchAttributeType.KEYWORD);

export type AppSubscriptionEvent = ConnectEvent & { appId: string; subscriptionId: string };

/** Signal-with-start of the one workflow of a connected account's subscription. */
export function createConnectSignalActivities(deps: { temporal?: Client; taskQueue?: string }) {
  return {
    async forwardToAppSubscriptionWorkflow(input: { event: AppSubscriptionEvent }): Promise<void> {
      if (!deps.temporal || !deps.taskQueue) throw new Error('activities need a Temporal client and task queue to signal workflows');
      const { subscriptionId, appId } = input.event;
      await deps.temporal.workflow.signalWithStart(APP_SUBSCRIPTION_WORKFLOW, {
        workflowId: `app-subscription:${subscriptionId}`,
        taskQueue: deps.taskQueue,
        args: [{ subscriptionId, appId }],
        signal: APP_SUBSCRIPTION_EVENT_SIGNAL,
        signalArgs: [input.event],
        typedSearchAttributes: new TypedSearchAttributes([{ key: AppId, value: appId }, { key: StripeObjectId, value: subscriptionId }]),
      });
    },
  };
}
