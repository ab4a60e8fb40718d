import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import type { Meter } from '../platform/meters';

/** One meter event of the reporting ledger (db/migrations/006_overage.sql). */
export interface UsageReport {
  accountId: string;
  periodStart: string;
  meter: Meter;
  seq: number;
  quantity: string;
  identifier: string;
  eventName: string;
  customerId: string;
  eventTime: string;
  status: 'pending' | 'sent' | 'failed';
}

interface Row {
  account_id: string;
  period_start: Date;
  meter: Meter;
  seq: number;
  quantity: string;
  identifier: string;
  event_name: string;
  customer_id: string;
  event_time: Date;
  status: UsageReport['status'];
}

const COLUMNS = 'account_id, period_start, meter, seq, quantity::text AS quantity, identifier, event_name, customer_id, event_time, status';
const toReport = (r: Row): UsageReport => ({
  accountId: r.account_id,
  periodStart: r.period_start.toISOString(),
  meter: r.meter,
  seq: r.seq,
  quantity: r.quantity,
  identifier: r.identifier,
  eventName: r.event_name,
  customerId: r.customer_id,
  eventTime: r.event_time.toISOString(),
  status: r.status,
});

/**
 * The next meter event to send for one account, period and meter: the pending one if a previous
 * attempt did not finish (same identifier, so Stripe counts it once), else a new row for the
 * difference between `overage` (recomputed from the raw events) and what the ledger already
 * holds; undefined when the two agree. Rows Stripe refused (failed) count for nothing.
 * 'superseded': the period was replaced by an overlapping one, which now reports its usage.
 */
export async function nextUsageReport(
  db: Db,
  input: {
    accountId: string;
    periodStart: string;
    meter: Meter;
    overage: string;
    eventName: string;
    customerId: string;
    eventTime: string;
  },
): Promise<UsageReport | 'superseded' | undefined> {
  return inTransaction(db, async (tx) => {
    // Shared lock on the account: a renewal superseding this period (account-periods.ts) waits
    // for this row to commit and then moves it, or commits first and this sees the mark.
    await tx.query('SELECT 1 FROM accounts WHERE id = $1 FOR SHARE', [input.accountId]);
    if (await isSuperseded(tx, input.accountId, input.periodStart)) return 'superseded';
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`usage-report|${input.accountId}|${input.periodStart}|${input.meter}`]);
    const key = [input.accountId, input.periodStart, input.meter];
    const pending = await tx.query<Row>(
      `SELECT ${COLUMNS} FROM usage_reports WHERE account_id = $1 AND period_start = $2 AND meter = $3 AND status = 'pending' ORDER BY seq LIMIT 1`,
      key,
    );
    if (pending.rows[0]) return toReport(pending.rows[0]);
    const { rows } = await tx.query<Row>(
      `INSERT INTO usage_reports (account_id, period_start, meter, seq, quantity, identifier, event_name, customer_id, event_time)
       SELECT $1, $2, $3, s.seq, $4::numeric - s.reported, $1 || ':' || to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MI') || ':' || $3 || ':' || s.seq,
              $5, $6, $7
       FROM (SELECT coalesce(max(seq), 0) + 1 AS seq, coalesce(sum(quantity) FILTER (WHERE status <> 'failed'), 0) AS reported
             FROM usage_reports WHERE account_id = $1 AND period_start = $2 AND meter = $3) s
       WHERE $4::numeric <> s.reported
       RETURNING ${COLUMNS}`,
      [...key, input.overage, input.eventName, input.customerId, input.eventTime],
    );
    return rows[0] && toReport(rows[0]);
  });
}

export async function markUsageReport(db: Pick<Db, 'query'>, input: { identifier: string; status: 'sent' | 'failed'; error?: string }): Promise<void> {
  await db.query(
    `UPDATE usage_reports SET status = $2, error = $3, sent_at = CASE WHEN $2 = 'sent' THEN now() END WHERE identifier = $1 AND status = 'pending'`,
    [input.identifier, input.status, input.error ?? null],
  );
}

export interface ReportedOverage {
  reported: string;
  pending: string;
  lastError: string | null;
}

/** Per meter: what Stripe acknowledged, what is written but not yet acknowledged, and the latest event's refusal (null once one succeeds). */
export async function reportedOverage(db: Pick<Db, 'query'>, accountId: string, periodStart: string): Promise<Partial<Record<Meter, ReportedOverage>>> {
  const { rows } = await db.query<{ meter: Meter; reported: string; pending: string; last_error: string | null }>(
    `SELECT meter,
            coalesce(sum(quantity) FILTER (WHERE status = 'sent'), 0)::text AS reported,
            coalesce(sum(quantity) FILTER (WHERE status = 'pending'), 0)::text AS pending,
            (array_agg(error ORDER BY seq DESC))[1] AS last_error
     FROM usage_reports WHERE account_id = $1 AND period_start = $2 GROUP BY meter`,
    [accountId, periodStart],
  );
  return Object.fromEntries(rows.map((r) => [r.meter, { reported: r.reported, pending: r.pending, lastError: r.last_error }]));
}

/** Accounts whose usage is billed as overage: a Stripe customer and a plan with overage prices. */
export async function accountsWithOverage(
  db: Pick<Db, 'query'>,
  accountIds?: string[],
): Promise<{ accountId: string; periodStart: string; periodEnd: string }[]> {
  const { rows } = await db.query<{ id: string; period_start: Date; period_end: Date }>(
    `SELECT a.id, a.period_start, a.period_end FROM accounts a
     WHERE a.stripe_customer_id IS NOT NULL AND ($1::text[] IS NULL OR a.id = ANY($1::text[]))
       AND EXISTS (SELECT 1 FROM plan_overage_prices o WHERE o.plan_id = a.plan_id)`,
    [accountIds ?? null],
  );
  return rows.map((r) => ({ accountId: r.id, periodStart: r.period_start.toISOString(), periodEnd: r.period_end.toISOString() }));
}

/** Whether a later, overlapping period replaced this one (its ledger moved there; db/account-periods.ts). */
export async function isSuperseded(db: Pick<Db, 'query'>, accountId: string, periodStart: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM superseded_periods WHERE account_id = $1 AND period_start = $2', [accountId, periodStart]);
  return (rowCount ?? 0) > 0;
}
