import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { newId } from '../platform/ids';
import type { Meter } from '../platform/meters';
import { periodUsage, reaches } from './period-usage';

export const ALERT_THRESHOLDS = [80, 100] as const;

export interface UsageAlert {
  id: string;
  meter: Meter;
  threshold: number;
  used: number;
  limit: number;
  createdAt: string;
}

/**
 * Raises the 80% and 100% alerts of each account's current period. The unique key
 * (account, meter, period, threshold) makes a second evaluation, or two at once, a no-op.
 * Cost: one usage query per account per run (fine for thousands; batch by account for more).
 */
export const evaluateAlerts =
  (db: Db, store: MeteringStore) =>
  async (accountIds?: string[]): Promise<number> => {
    const { rows } = await db.query<{ id: string; period_start: Date; period_end: Date; meter: Meter; limit_value: string }>(
      `SELECT a.id, a.period_start, a.period_end, l.meter, l.limit_value FROM accounts a
     JOIN plan_limits l ON l.plan_id = a.plan_id WHERE $1::text[] IS NULL OR a.id = ANY($1)`,
      [accountIds ?? null],
    );
    const byAccount = new Map<string, typeof rows>();
    for (const r of rows) byAccount.set(r.id, [...(byAccount.get(r.id) ?? []), r]);
    let raised = 0;
    for (const [accountId, limits] of byAccount) {
      const usage = await periodUsage(store)(accountId, limits[0]!.period_start, limits[0]!.period_end);
      for (const l of limits) {
        const limit = Number(l.limit_value);
        for (const threshold of ALERT_THRESHOLDS) {
          if (!reaches(usage[l.meter], l.limit_value, threshold)) continue;
          const res = await db.query(
            `INSERT INTO usage_alerts (id, account_id, meter, period_start, threshold, used, limit_value)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, meter, period_start, threshold) DO NOTHING`,
            [newId('alrt'), accountId, l.meter, l.period_start, threshold, usage[l.meter], limit],
          );
          raised += res.rowCount ?? 0;
        }
      }
    }
    return raised;
  };

export async function openAlerts(db: Db, accountId: string, periodStart: Date): Promise<UsageAlert[]> {
  const { rows } = await db.query<{ id: string; meter: Meter; threshold: number; used: string; limit_value: string; created_at: Date }>(
    'SELECT * FROM usage_alerts WHERE account_id = $1 AND period_start = $2 ORDER BY created_at, meter, threshold',
    [accountId, periodStart],
  );
  return rows.map((r) => ({
    id: r.id,
    meter: r.meter,
    threshold: r.threshold,
    used: Number(r.used),
    limit: Number(r.limit_value),
    createdAt: r.created_at.toISOString(),
  }));
}
