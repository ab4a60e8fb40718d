import { createHash, randomUUID } from 'node:crypto';
import { TypedSearchAttributes } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { AppError } from '../platform/errors';
import { toAppError } from './workflow-calls';
import { getCheckoutByWorkflowId } from '../db/checkouts';
import { platformCheckoutWorkflow } from '../workflows/platform-checkout';
import { platformPortalWorkflow } from '../workflows/platform-portal';
import { checkoutSessionUpdate, type CheckoutResult } from '../workflows/messages';
import { AccountId, StripeObjectId } from '../workflows/search-attributes';

export interface CheckoutRequest {
  accountId: string;
  planId: string;
  successUrl: string;
  cancelUrl: string;
  idempotencyKey?: string;
}

/** Without an Idempotency-Key, the same body is the same checkout: a double click makes one session. */
export function checkoutWorkflowId(req: CheckoutRequest): string {
  const key =
    req.idempotencyKey ??
    createHash('sha256')
      .update(JSON.stringify([req.planId, req.successUrl, req.cancelUrl]))
      .digest('hex')
      .slice(0, 32);
  return `platform-checkout:${req.accountId}:${key}`;
}

const checkoutIdOf = (workflowId: string) => `chk_${createHash('sha256').update(workflowId).digest('hex').slice(0, 24)}`;

/**
 * A checkout with this key that already ended answers again as it did (an Idempotency-Key
 * replay), before any check that its own success would now fail (e.g. "already subscribed").
 */
export async function endedCheckout(deps: Pick<ApiDeps, 'db'>, req: CheckoutRequest): Promise<(CheckoutResult & { status: string }) | undefined> {
  const done = await getCheckoutByWorkflowId(deps.db, checkoutWorkflowId(req));
  if (!done || done.status === 'open') return undefined;
  return { checkoutId: done.id, url: done.url, mode: done.stripeSessionId ? 'session' : 'plan_change', status: done.status };
}

/**
 * Update-with-Start: starts the checkout workflow (or attaches to the running one with this id)
 * and waits for its answer in the same call, so the client gets the URL in one request.
 */
export async function startPlatformCheckout(
  deps: Pick<ApiDeps, 'temporal' | 'config' | 'db'>,
  req: CheckoutRequest,
): Promise<CheckoutResult & { status?: string }> {
  const workflowId = checkoutWorkflowId(req);
  const checkoutId = checkoutIdOf(workflowId);
  const start = new WithStartWorkflowOperation(platformCheckoutWorkflow, {
    workflowId,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [{ checkoutId, accountId: req.accountId, planId: req.planId, successUrl: req.successUrl, cancelUrl: req.cancelUrl }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A failed attempt may be retried with the same key; a finished one answers from its record.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: new TypedSearchAttributes([{ key: AccountId, value: req.accountId }]),
  });
  try {
    return await deps.temporal.workflow.executeUpdateWithStart(checkoutSessionUpdate, { startWorkflowOperation: start });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const done = await endedCheckout(deps, req);
      if (done) return done;
      throw new AppError('conflict', 'A checkout with this Idempotency-Key already ended without a session; use a new key');
    }
    throw toAppError(err, 'Checkout');
  }
}

/** A Billing Portal session through a short workflow: the API itself never calls Stripe. */
export async function openBillingPortal(
  deps: Pick<ApiDeps, 'temporal' | 'config'>,
  input: { accountId: string; customerId: string; returnUrl: string },
): Promise<{ url: string | null }> {
  try {
    return await deps.temporal.workflow.execute(platformPortalWorkflow, {
      workflowId: `platform-portal:${input.accountId}:${randomUUID()}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ accountId: input.accountId, returnUrl: input.returnUrl }],
      workflowExecutionTimeout: '1 minute',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: AccountId, value: input.accountId },
        { key: StripeObjectId, value: input.customerId },
      ]),
    });
  } catch (err) {
    throw toAppError(err, 'Billing portal');
  }
}
