import type { Db } from '../platform/pg';
import { completeProvisioning, rollOverPeriods } from '../db/accounts';

/** Writes of billing state. Every one is an idempotent update or upsert. */
export function createBillingStateActivities(deps: { db: Db }) {
  return {
    async completeAccountProvisioning(input: { accountId: string; stripeCustomerId: string | null; note: string | null }): Promise<void> {
      await completeProvisioning(deps.db, input);
    },
    async rollOverBillingPeriods(_input: Record<string, never>): Promise<number> {
      return rollOverPeriods(deps.db);
    },
  };
}
