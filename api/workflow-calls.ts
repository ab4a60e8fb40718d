import { ApplicationFailure, TypedSearchAttributes, TemporalFailure } from '@temporalio/common';
import { ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { AppError, type ErrorCode } from '../platform/errors';
import { accountProvisioningWorkflow } from '../workflows/account-provisioning';
import { AccountId } from '../workflows/search-attributes';
import { innermost } from '../workflows/failures';

/**
 * What the client is told when a workflow, update or activity fails, by the failure's type
 * (`ApplicationFailure.type`, raised by our activities and workflows). A type not listed is a
 * refusal of this request (422) when raised non-retryable, otherwise unavailability (503).
 */
const CODE_OF_FAILURE: Record<string, ErrorCode> = {
  NotFound: 'not_found',
  NotOnboarded: 'conflict',
  Superseded: 'conflict',
  // Missing configuration of a dependency is the operator's to fix, not something the caller
  // can change in the request: 503, as the routes answer when they see it first.
  StripeNotConfigured: 'unavailable',
  // Retries ran out on a failure that was not a refusal (Postgres or Stripe unreachable).
  Unavailable: 'unavailable',
  // The server's own refusals of an update that reached a run as it ended (a retry with the same
  // key attached to a failing run): the request itself is fine, the next try gets a new run.
  UnprocessedUpdate: 'unavailable',
  AcceptedUpdateCompletedWorkflow: 'unavailable',
};

/**
 * The one mapping from a Temporal call's failure to the API's error; `what` names the operation
 * for the message. Anything that is not Temporal's (or is already an AppError) passes unchanged.
 */
export function toAppError(err: unknown, what: string): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new AppError('conflict', `${what}: another change of this object is in progress; retry shortly`);
  if (err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError || err instanceof TemporalFailure) {
    const reason = innermost(err);
    // An unlisted type is a refusal only when raised as one (non-retryable); a timeout, or
    // retries that ran out on a dependency, is unavailability the caller should retry (503).
    const refused = reason instanceof ApplicationFailure && reason.nonRetryable;
    return new AppError((reason.type && CODE_OF_FAILURE[reason.type]) || (refused ? 'unprocessable' : 'unavailable'), `${what} failed: ${reason.message}`);
  }
  if (err instanceof ServiceError) return new AppError('unavailable', `${what}: Temporal is unavailable: ${err.message}`);
  return err;
}

/** Workflow ids carry business keys, so a second start for the same key collapses into the first. */
export async function startAccountProvisioning(deps: Pick<ApiDeps, 'temporal' | 'config'>, accountId: string): Promise<void> {
  try {
    await deps.temporal.workflow.start(accountProvisioningWorkflow, {
      workflowId: `account-provisioning:${accountId}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ accountId }],
      typedSearchAttributes: new TypedSearchAttributes([{ key: AccountId, value: accountId }]),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
