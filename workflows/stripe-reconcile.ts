import { ParentClosePolicy, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities, ReconcilePage } from '../activities';
import { AppId, StripeObjectId } from './search-attributes';
import { PLATFORM_EVENT_TYPES, stripeEventWorkflow } from './platform-event';
import { CONNECT_EVENT_TYPES, connectEventWorkflow } from './connect-event';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5, initialInterval: '5 seconds', backoffCoefficient: 2 },
});

/**
 * Events appear in Stripe's list with a small delay, so each run starts this far before the
 * newest event the last run saw; what it lists again is recorded already and costs a lookup.
 */
export const RECONCILE_OVERLAP_S = 10 * 60;
/** Pages per account per run: a backlog bigger than this continues in the next run. */
const MAX_PAGES = 50;

/** The `stripe-reconcile` Schedule's workflow: one child per Stripe account (platform and each app's). */
export async function stripeReconcileWorkflow(): Promise<{ accounts: number; fed: number }> {
  const accounts = await acts.listReconcileAccounts();
  let fed = 0;
  for (const a of accounts) {
    const label = a.stripeAccount ?? 'platform';
    const result = await executeChild(stripeAccountReconcileWorkflow, {
      workflowId: `stripe-reconcile:${label}:${workflowInfo().runId}`,
      args: [{ stripeAccount: a.stripeAccount }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      // Found in the UI by the app (AppId) or by the Stripe account (StripeObjectId).
      typedSearchAttributes: [{ key: StripeObjectId, value: label }, ...(a.appId ? [{ key: AppId, value: a.appId }] : [])],
    });
    fed += result.fed;
  }
  return { accounts: accounts.length, fed };
}

/** One account's events list, from its cursor (less the overlap) to now, fed to the intake. */
export async function stripeAccountReconcileWorkflow(input: { stripeAccount: string | null }): Promise<{ listed: number; fed: number; cursor: number }> {
  const connect = input.stripeAccount !== null;
  const cursor = await acts.readEventCursor({ stripeAccount: input.stripeAccount });
  const since = Math.max(0, cursor - RECONCILE_OVERLAP_S);
  let startingAfter: string | null = null;
  let listed = 0;
  let fed = 0;
  let newest = cursor;
  let complete = false;
  for (let page = 0; page < MAX_PAGES && !complete; page += 1) {
    const r: ReconcilePage = await acts.reconcileEventsPage({
      stripeAccount: input.stripeAccount,
      since,
      startingAfter,
      handledTypes: [...(connect ? CONNECT_EVENT_TYPES : PLATFORM_EVENT_TYPES)],
      workflowType: (connect ? connectEventWorkflow : stripeEventWorkflow).name,
    });
    listed += r.listed;
    fed += r.fed;
    newest = Math.max(newest, r.maxCreated);
    complete = !r.hasMore || !r.lastId;
    startingAfter = r.lastId;
  }
  // Pages run newest first: a run stopped by the page budget has not reached its window's
  // oldest events, so it leaves the cursor where it was and the next run starts there again.
  if (complete) await acts.saveEventCursor({ stripeAccount: input.stripeAccount, lastCreated: newest });
  return { listed, fed, cursor: newest };
}
