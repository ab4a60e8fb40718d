import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { assignPlan, createAccount, putPlan } from '../helpers/factories';
import { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import { reportUsageUpdate } from '../../workflows/messages';
import { METERED_PLAN, WEBHOOK_SECRET } from './helpers';
import { stripeRecorder } from './stripe-recorder';

/**
 * The overage tests' setup: stripe-mock behind the recorder (Stripe's memory), an API and a
 * separate worker on one database (a test may restart the worker), and the metered plan.
 */
export async function startOverageStacks(): Promise<{
  recorder: Awaited<ReturnType<typeof stripeRecorder>>;
  api: TestStack;
  worker: TestStack;
}> {
  const recorder = await stripeRecorder(testServices().stripeApiBase);
  const env = { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: recorder.url };
  const api = await startTestStack({ worker: false, env });
  const worker = await startTestStack({ shareWith: api, api: false, worker: true, env });
  await putPlan(api, 'metered', METERED_PLAN);
  return { recorder, api, worker };
}

/** An account on an overage plan with a Stripe customer, its reporting workflow started; `report()` asks for a report and awaits it. */
export async function overageAccount(api: TestStack, name: string, planId = 'metered') {
  const { accountId, apiKey } = await createAccount(api, name);
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  await assignPlan(api, accountId, planId);
  const { rows } = await api.deps.db.query('SELECT stripe_customer_id, period_start FROM accounts WHERE id = $1', [accountId]);
  // The per-minute schedule's workflow, run on demand: it starts the account's reporting workflow.
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-${accountId}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  const handle = api.deps.temporal.workflow.getHandle(`usage-reporting:${accountId}:${(rows[0].period_start as Date).toISOString()}`);
  return { accountId, apiKey, customer: rows[0].stripe_customer_id as string, handle, report: () => handle.executeUpdate(reportUsageUpdate) };
}

/** The ledger's acknowledged total for the account's period: what we say Stripe was told. */
export const ledgerSent = async (api: TestStack, accountId: string) =>
  Number(
    (await api.deps.db.query(`SELECT coalesce(sum(quantity), 0) AS s FROM usage_reports WHERE account_id = $1 AND status = 'sent'`, [accountId])).rows[0].s,
  );
