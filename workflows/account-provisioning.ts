import { proxyActivities, log } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { ensureStripeCustomer, completeAccountProvisioning } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2 },
});

export interface AccountProvisioningInput {
  accountId: string;
}

/**
 * Runs once per account (workflow id `account-provisioning:<accountId>`): gives it a Stripe
 * customer (or records why not) and marks it provisioned on its default plan. Both steps are
 * idempotent, so a retried or re-run workflow ends in the same state with one customer.
 */
export async function accountProvisioningWorkflow(input: AccountProvisioningInput): Promise<{ stripeCustomerId: string | null; note: string | null }> {
  const customer = await ensureStripeCustomer({ accountId: input.accountId });
  await completeAccountProvisioning({ accountId: input.accountId, stripeCustomerId: customer.stripeCustomerId, note: customer.skippedReason });
  log.info('account provisioned', { accountId: input.accountId, stripeCustomerId: customer.stripeCustomerId });
  return { stripeCustomerId: customer.stripeCustomerId, note: customer.skippedReason };
}
