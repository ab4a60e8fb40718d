import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { evaluateAlerts } from '../metering/alerts';

export function createMeteringActivities(deps: { db: Db; store: MeteringStore }) {
  return {
    async evaluateUsageAlerts(input: { accountIds?: string[] }): Promise<number> {
      return evaluateAlerts(deps.db, deps.store)(input.accountIds);
    },
  };
}
