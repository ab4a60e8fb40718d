import { proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities, PlanFields, ProductFields } from '../activities';

// Local: the developer waits on the HTTP request. Retried calls reuse the Stripe idempotency key.
const acts = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds', backoffCoefficient: 2 },
});

export type AppCatalogInput =
  | { op: 'createPlan' | 'updatePlan'; appId: string; id: string; fields: Partial<PlanFields> }
  | { op: 'createProduct' | 'updateProduct'; appId: string; id: string; fields: Partial<ProductFields> };

/**
 * One catalogue change on the app's connected account (id `app-plan:<id>` or `app-product:<id>`,
 * so two changes of one plan never interleave: the second is refused while the first runs).
 * The run id is part of the Stripe idempotency key: each change makes its own new Price.
 */
export async function appCatalogWorkflow(input: AppCatalogInput) {
  const info = workflowInfo();
  const key = `${info.workflowId}:${info.firstExecutionRunId}`;
  const base = { appId: input.appId, key };
  switch (input.op) {
    case 'createPlan':
      return acts.createAppPlan({ ...base, planId: input.id, fields: input.fields as PlanFields });
    case 'updatePlan':
      return acts.updateAppPlan({ ...base, planId: input.id, fields: input.fields });
    case 'createProduct':
      return acts.createAppProduct({ ...base, productId: input.id, fields: input.fields as ProductFields });
    case 'updateProduct':
      return acts.updateAppProduct({ ...base, productId: input.id, fields: input.fields });
  }
}
