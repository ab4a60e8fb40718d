import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { rollOverBillingPeriods, evaluateUsageAlerts, startUsageReporting } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Started every minute by the `usage-alerts` Schedule (and on demand): first moves ended periods
 * forward, then raises the 80% / 100% alerts of the current ones. Alerts are unique per
 * account, meter, period and threshold, so overlapping runs raise each once.
 */
export async function usageAlertsWorkflow(input: { accountIds?: string[] } = {}): Promise<{ rolledOver: number; raised: number }> {
  const rolledOver = await rollOverBillingPeriods({});
  const raised = await evaluateUsageAlerts({ accountIds: input.accountIds });
  // Each overage-billed account's period gets its reporting workflow within a minute of starting.
  if (patched('usage-reporting')) await startUsageReporting({ accountIds: input.accountIds });
  return { rolledOver, raised };
}
