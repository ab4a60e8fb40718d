import { ActivityFailure, ApplicationFailure, RetryState, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ServiceError, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { AppError } from '../../platform/errors';
import { toAppError } from '../../api/workflow-calls';

// What a workflow run reports when one of its activities refused: run → activity → refusal.
const failedRun = (type: string, message = 'refused') =>
  new WorkflowFailedError(
    'Workflow execution failed',
    new ActivityFailure(
      'Activity task failed',
      'someActivity',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'worker',
      ApplicationFailure.nonRetryable(message, type),
    ),
    RetryState.NON_RETRYABLE_FAILURE,
  );
const asAppError = (err: unknown) => {
  const mapped = toAppError(err, 'Checkout');
  expect(mapped).toBeInstanceOf(AppError);
  return mapped as AppError;
};

describe('toAppError', () => {
  it('answers a missing Stripe configuration with 503, from a run or from an update alike', () => {
    const fromRun = asAppError(failedRun('StripeNotConfigured', 'Stripe is not configured (STRIPE_SECRET_KEY is unset)'));
    expect([fromRun.status, fromRun.code]).toEqual([503, 'unavailable']);
    expect(fromRun.message).toBe('Checkout failed: Stripe is not configured (STRIPE_SECRET_KEY is unset)');
    const fromUpdate = asAppError(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.nonRetryable('no key', 'StripeNotConfigured')));
    expect(fromUpdate.status).toBe(503);
  });

  it('maps each failure type through the one table, and an unlisted refusal to 422', () => {
    expect(asAppError(failedRun('NotFound')).status).toBe(404);
    expect(asAppError(failedRun('NotOnboarded')).status).toBe(409);
    expect(asAppError(new WorkflowUpdateFailedError('x', ApplicationFailure.nonRetryable('newer checkout', 'Superseded'))).status).toBe(409);
    expect(asAppError(new WorkflowUpdateFailedError('x', ApplicationFailure.nonRetryable('retries ran out', 'Unavailable'))).status).toBe(503);
    const refused = asAppError(failedRun('PlanNotSellable', 'Plan pro has no Stripe price'));
    expect([refused.status, refused.message]).toEqual([422, 'Checkout failed: Plan pro has no Stripe price']);
  });

  it('answers an update that reached a run as it ended with 503: a retry gets the next run', () => {
    // The server's failures for these cases are non-retryable ApplicationFailures of its own types.
    for (const type of ['UnprocessedUpdate', 'AcceptedUpdateCompletedWorkflow'])
      expect(asAppError(new WorkflowUpdateFailedError('x', ApplicationFailure.nonRetryable('the run ended', type))).status).toBe(503);
  });

  it('answers a run already in progress with 409 and an unreachable Temporal with 503', () => {
    expect(asAppError(new WorkflowExecutionAlreadyStartedError('started', 'wf-1', 'appCheckoutWorkflow')).status).toBe(409);
    expect(asAppError(new ServiceError('Failed to start Workflow', { cause: new Error('14 UNAVAILABLE') })).status).toBe(503);
  });

  it("passes errors that are not Temporal's through unchanged", () => {
    const own = new AppError('conflict', 'already subscribed');
    expect(toAppError(own, 'Checkout')).toBe(own);
    const other = new Error('boom');
    expect(toAppError(other, 'Checkout')).toBe(other);
  });
});
