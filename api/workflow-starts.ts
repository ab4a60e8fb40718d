import { TypedSearchAttributes } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { accountProvisioningWorkflow } from '../workflows/account-provisioning';
import { AccountId } from '../workflows/search-attributes';

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
