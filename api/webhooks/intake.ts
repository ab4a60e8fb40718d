import Stripe from 'stripe';
import { TypedSearchAttributes } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, type Workflow } from '@temporalio/client';
import type { ApiDeps } from '../deps';
import type { RouteResult } from '../openapi/route';
import { AppError } from '../../platform/errors';
import { recordStripeEvent } from '../../db/stripe-events';
import { stripeWebhookEvents } from '../../platform/metrics';
import { StripeObjectId } from '../../workflows/search-attributes';
import { idOf } from '../../platform/stripe-events/fields';

/** Stripe's own default: a signed request older than five minutes is a replay, not a delivery. */
export const SIGNATURE_TOLERANCE_S = 300;

export interface WebhookIntakeOptions {
  /** The variable holding the signing secret, named in the 503 when it is unset. */
  secretName: 'STRIPE_WEBHOOK_SECRET' | 'STRIPE_CONNECT_WEBHOOK_SECRET';
  secret: () => string | undefined;
  /** Types a workflow handles; every other verified event is recorded and acknowledged only. */
  handledTypes: readonly string[];
  /** Runs once per event id (`stripe-event:<id>`), input `{ eventId }`. */
  workflow: Workflow;
}

/**
 * The one intake both Stripe webhook routes share: verify the signature on the exact bytes,
 * store the event (id as key), start its workflow, answer. Processing happens in Temporal, so
 * the answer never waits for it. A redelivery records nothing new and its start is refused by
 * workflow id; both are still a 200, which is all Stripe needs to stop retrying.
 */
export function createWebhookIntake(deps: Pick<ApiDeps, 'db' | 'temporal' | 'config'>, opts: WebhookIntakeOptions) {
  const handled = new Set(opts.handledTypes);
  const endpoint = opts.secretName === 'STRIPE_WEBHOOK_SECRET' ? 'platform' : 'connect';
  const count = (type: string, outcome: string) => stripeWebhookEvents.labels(endpoint, type, outcome).inc();
  return async (raw: Buffer, signature: string | undefined): Promise<RouteResult> => {
    const secret = opts.secret();
    if (!secret) throw new AppError('unavailable', `Stripe webhooks are not configured: ${opts.secretName} is unset`);
    if (!signature) {
      count('unverified', 'invalid_signature');
      throw new AppError('bad_request', 'Missing Stripe-Signature header');
    }
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(raw, signature, secret, SIGNATURE_TOLERANCE_S);
    } catch (err) {
      count('unverified', 'invalid_signature');
      throw new AppError('bad_request', `Invalid Stripe signature: ${(err as Error).message}`, [
        { path: ['header', 'stripe-signature'], message: 'signature verification failed' },
      ]);
    }
    const isHandled = handled.has(event.type);
    const fresh = await recordStripeEvent(deps.db, {
      id: event.id,
      type: event.type,
      account: event.account ?? null,
      payload: event,
      outcome: isHandled ? 'pending' : 'ignored',
    });
    // Started on every delivery, not only the first: if Temporal was down for the first one,
    // Stripe's retry is what gets the event processed.
    if (isHandled) {
      try {
        await startOnce(deps, opts.workflow, event);
      } catch (err) {
        count(event.type, 'start_failed');
        throw err;
      }
    }
    count(event.type, !isHandled ? 'ignored' : fresh ? 'handled' : 'duplicate');
    return { status: 200, body: { received: true, duplicate: !fresh, handled: isHandled } };
  };
}

async function startOnce(deps: Pick<ApiDeps, 'temporal' | 'config'>, workflow: Workflow, event: Stripe.Event): Promise<void> {
  const objectId = idOf(event.data.object);
  try {
    await deps.temporal.workflow.start(workflow, {
      workflowId: `stripe-event:${event.id}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ eventId: event.id }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(objectId && { typedSearchAttributes: new TypedSearchAttributes([{ key: StripeObjectId, value: objectId }]) }),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw new AppError('unavailable', `The event was recorded but could not be handed to Temporal; Stripe will retry: ${(err as Error).message}`);
  }
}
