import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities, ConnectStatus } from '../activities';

const { readConnectStatus } = proxyLocalActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { maximumAttempts: 3 } });

/**
 * One short run per status request (id `connect-status:<appId>:<uuid>`): the API never calls
 * Stripe, so even this read goes through an activity.
 */
export async function connectStatusWorkflow(input: { appId: string }): Promise<ConnectStatus> {
  return readConnectStatus(input);
}
