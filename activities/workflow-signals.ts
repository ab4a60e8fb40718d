import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';

/**
 * A signal-with-start as the asking workflow names it: activities may not import workflows/,
 * so the workflow type, signal and search-attribute keys come from the workflow code that
 * defines them, never as copies here.
 */
export interface SignalWithStart {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
  searchAttributes: SearchAttributePair[];
}

/**
 * Hands an event to the one long-lived workflow of its subscription, starting it if needed.
 * Workflow code cannot signal-with-start, so this is an activity; a retry may deliver the event
 * twice, which the subscription workflow ignores by event id.
 */
export function createWorkflowSignalActivities(deps: { temporal?: Client; taskQueue?: string }) {
  async function signalWithStart(input: SignalWithStart): Promise<void> {
    if (!deps.temporal || !deps.taskQueue) throw new Error('activities need a Temporal client and task queue to signal workflows');
    await deps.temporal.workflow.signalWithStart(input.workflowType, {
      workflowId: input.workflowId,
      taskQueue: deps.taskQueue,
      args: input.args,
      signal: input.signal,
      signalArgs: input.signalArgs,
      typedSearchAttributes: new TypedSearchAttributes(input.searchAttributes),
    });
  }
  // One job under the two activity types that the histories of event workflows already name.
  return { forwardToSubscriptionWorkflow: signalWithStart, forwardToAppSubscriptionWorkflow: signalWithStart };
}
