import { upsertSearchAttributes, type SignalDefinition, type Workflow } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { SignalWithStart } from '../activities';
import { StripeObjectId } from './search-attributes';

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
  workflow: W,
  signal: SignalDefinition<A>,
  opts: { workflowId: string; args: Parameters<W>; signalArgs: A; searchAttributes: SearchAttributePair[] },
): SignalWithStart {
  return { workflowType: workflow.name, signal: signal.name, ...opts };
}

/**
 * One stored event through its half's table: unknown types are ignored; the event is tagged with
 * its object and, once known, its tenant (account or app) for operators to find it; an event we
 * cannot tie to a tenant is kept for an operator, never guessed onto one. `route` gives the
 * handler its event with the tenant, or `mismatch` to park it.
 */
export async function dispatchStripeEvent<E extends { type: string; objectId: string }, R>(input: {
  event: E | null;
  handlers: EventHandlers<R>;
  tenantKey: typeof StripeObjectId;
  tenantOf: (event: E) => string | null;
  route: (event: E, tenant: string) => R | 'mismatch';
  mark: (outcome: Exclude<EventOutcome, 'forwarded'>) => Promise<void>;
}): Promise<{ outcome: EventOutcome }> {
  const done = async (outcome: EventOutcome) => {
    if (outcome !== 'forwarded') await input.mark(outcome);
    return { outcome };
  };
  const { event } = input;
  const handler = event && input.handlers[event.type];
  if (!event || !handler) return done('ignored');
  if (event.objectId) upsertSearchAttributes([{ key: StripeObjectId, value: event.objectId }]);
  const tenant = input.tenantOf(event);
  if (!tenant) return done('unknown_account');
  upsertSearchAttributes([{ key: input.tenantKey, value: tenant }]);
  const routed = input.route(event, tenant);
  return done(routed === 'mismatch' ? 'mismatch' : await handler(routed));
}
