import type { Db } from '../platform/pg';
import { completeProvisioning, rollOverPeriods } from '../db/accounts';

/** Writes of an account's own state (provisioning, usage periods). Every one is an idempotent update. */
export function createAccountStateActivities(deps: { db: Db }) {
  return {
    async completeAccountProvisioning(input: { accountId: string; stripeCustomerId: string | null; note: string | null }): Promise<void> {
      await completeProvisioning(deps.db, input);
    },
    async rollOverBillingPeriods(_input: Record<string, never>): Promise<number> {
      return rollOverPeriods(deps.db);
    },
  };
}
