import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { evaluateAlerts } from '../metering/alerts';
import { periodUsage } from '../metering/period-usage';
import { accountsWithSpendCaps } from '../db/spend-caps';
import { raiseSpendCapAlertIfReached } from './spend-cap-alert';

export function createMeteringActivities(deps: { db: Db; store: MeteringStore }) {
  return {
    /** The 80% / 100% alerts, and the spend-cap alert of accounts with a cap (within a minute of the cap being reached). */
    async evaluateUsageAlerts(input: { accountIds?: string[] }): Promise<number> {
      let raised = await evaluateAlerts(deps.db, deps.store)(input.accountIds);
      for (const a of await accountsWithSpendCaps(deps.db, input.accountIds)) {
        const used = await periodUsage(deps.store)(a.accountId, a.periodStart, a.periodEnd);
        if (await raiseSpendCapAlertIfReached(deps.db, { accountId: a.accountId, periodStart: a.periodStart.toISOString(), used })) raised++;
      }
      return raised;
    },
  };
}
