import { createHash, randomUUID } from 'node:crypto';
import { TypedSearchAttributes } from '@temporalio/common';
import { WithStartWorkflowOperation, type Workflow, type WorkflowResultType } from '@temporalio/client';
import type { ApiDeps } from './deps';
import { toAppError } from './workflow-calls';
import { connectOnboardingWorkflow } from '../workflows/connect-onboarding';
import { connectStatusWorkflow } from '../workflows/connect-status';
import { appCatalogWorkflow, type AppCatalogInput } from '../workflows/app-catalog';
import { appCancelWorkflow, appCheckoutWorkflow, type AppCheckoutInput } from '../workflows/app-checkout';
import { accountLinkUpdate, type AccountLinkResult } from '../workflows/messages';
import { AppId, CustomerId } from '../workflows/search-attributes';

type Deps = Pick<ApiDeps, 'temporal' | 'config'>;

const attrs = (appId: string, customerId?: string) =>
  new TypedSearchAttributes([{ key: AppId, value: appId }, ...(customerId ? [{ key: CustomerId, value: customerId }] : [])]);

async function run<W extends Workflow>(
  deps: Deps,
  wf: W,
  what: string,
  opts: { workflowId: string; args: Parameters<W>; appId: string; customerId?: string; attach?: boolean },
): Promise<WorkflowResultType<W>> {
  try {
    return (await deps.temporal.workflow.execute(wf as Workflow, {
      workflowId: opts.workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: opts.args,
      // attach: the same request twice shares one run; otherwise a second one while the first runs is a 409.
      workflowIdConflictPolicy: opts.attach ? 'USE_EXISTING' : 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowExecutionTimeout: '2 minutes',
      typedSearchAttributes: attrs(opts.appId, opts.customerId),
    })) as WorkflowResultType<W>;
  } catch (err) {
    throw toAppError(err, what);
  }
}

/** Update-with-Start on the app's one onboarding workflow: a fresh Account Link per call. */
export async function onboardApp(deps: Deps, appId: string, urls: { refreshUrl: string; returnUrl: string }): Promise<AccountLinkResult> {
  const start = new WithStartWorkflowOperation(connectOnboardingWorkflow, {
    workflowId: `connect-onboarding:${appId}`,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    args: [{ appId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: attrs(appId),
  });
  try {
    return await deps.temporal.workflow.executeUpdateWithStart(accountLinkUpdate, { args: [urls], startWorkflowOperation: start });
  } catch (err) {
    throw toAppError(err, 'Connect onboarding');
  }
}

export const readConnectStatus = (deps: Deps, appId: string) =>
  run(deps, connectStatusWorkflow, 'Connect status', { workflowId: `connect-status:${appId}:${randomUUID()}`, args: [{ appId }], appId });

export const changeCatalog = (deps: Deps, input: AppCatalogInput) =>
  run(deps, appCatalogWorkflow, 'Catalogue change', {
    workflowId: `${input.op.endsWith('Plan') ? 'app-plan' : 'app-product'}:${input.id}`,
    args: [input],
    appId: input.appId,
  });

/** Same request body from the same customer while the first is running: one session, not two. */
export function startAppCheckout(deps: Deps, input: AppCheckoutInput) {
  // The order id is new per request: leave it out, or a double click would be two orders.
  const request = input.kind === 'purchase' ? { ...input, orderId: undefined } : input;
  const hash = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 32);
  return run(deps, appCheckoutWorkflow, 'Checkout', {
    workflowId: `app-checkout:${input.appId}:${hash}`,
    args: [input],
    appId: input.appId,
    customerId: input.customerId,
    attach: true,
  });
}

export const cancelAppSubscription = (deps: Deps, input: { appId: string; subscriptionId: string; customerId: string }) =>
  run(deps, appCancelWorkflow, 'Cancel', {
    workflowId: `app-cancel:${input.subscriptionId}`,
    args: [{ appId: input.appId, subscriptionId: input.subscriptionId }],
    appId: input.appId,
    customerId: input.customerId,
    attach: true,
  });
