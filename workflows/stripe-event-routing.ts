import type { SignalDefinition, Workflow } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { SignalWithStart } from '../activities';

/**
 * What became of one Stripe event. `forwarded`: the subscription's own workflow records the
 * outcome once it has applied the event; every other outcome the event workflow records itself.
 */
export type EventOutcome = 'forwarded' | 'ignored' | 'unknown_account' | 'applied' | 'stale' | 'mismatch';

/**
 * Each half (platform, Connect) routes a stored event through one table from event type to
 * handler; a type without a handler is recorded by the intake and never reaches a workflow.
 */
export type EventHandlers<E> = Record<string, (event: E) => Promise<EventOutcome>>;

/** The signal-with-start an activity performs for workflow code, named from the definitions. */
export function signalWithStart<W extends Workflow, A extends unknown[]>(
  workflow: W, signal: SignalDefinition<A>,
  opts: { workflowId: string; args: Parameters<W>; signalArgs: A; searchAttributes: SearchAttributePair[] },
): SignalWithStart {
  return { workflowType: workflow.name, signal: signal.name, ...opts };
}
