import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { createBillingPortalSession } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '500 milliseconds' },
});

/**
 * One short run per portal request (id `platform-portal:<accountId>:<uuid>`): the API never
 * calls Stripe, so even a read-only Stripe call goes through an activity. `url` is null when the
 * account has no Stripe customer.
 */
export async function platformPortalWorkflow(input: { accountId: string; returnUrl: string }): Promise<{ url: string | null }> {
  return createBillingPortalSession(input);
}
