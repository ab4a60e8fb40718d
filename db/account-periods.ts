import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';

const QUARTER_HOUR_MS = 15 * 60_000;
// Usage rollups are 15-minute buckets: a period on quarter-hour boundaries is an exact sum of them.
const toQuarter = (iso: string) => new Date(Math.floor(Date.parse(iso) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS);

/**
 * A paid invoice moves the account's usage period to the invoice's period, so limits roll over
 * with Stripe's billing cycle (limit counters and alerts are keyed by period start).
 *
 * Periods are ordered by their start: an invoice whose period starts later replaces the current
 * one even when it ends sooner. That is the first paid invoice after sign-up: the account's
 * provisional period is a calendar month from creation, and Stripe's first cycle (e.g. 30 days
 * from the payment, inside a 31-day month) may end before it; the account follows Stripe from
 * then on. The same start with a later end extends the period. A late or replayed invoice for an
 * older period changes nothing.
 *
 * A replaced period that overlaps the new one is superseded: its overage ledger (what was
 * reported to Stripe, all of it inside Stripe's cycle) becomes the new period's, and its
 * reporting stops (db/usage-reports.ts), so the overlap is billed once, by the new period.
 */
export async function renewAccountPeriod(db: Db, input: { accountId: string; periodStart: string; periodEnd: string }): Promise<boolean> {
  const start = toQuarter(input.periodStart);
  const end = toQuarter(input.periodEnd);
  if (end <= start) return false;
  return inTransaction(db, async (tx) => {
    // The row lock orders this against a report in flight (nextUsageReport reads the row FOR SHARE).
    const { rows } = await tx.query<{ period_start: Date; period_end: Date }>('SELECT period_start, period_end FROM accounts WHERE id = $1 FOR UPDATE', [
      input.accountId,
    ]);
    const old = rows[0];
    const { rowCount } = await tx.query('UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1 AND (period_start, period_end) < ($2, $3)', [
      input.accountId,
      start,
      end,
    ]);
    if (!old || (rowCount ?? 0) === 0) return false;
    if (start > old.period_start && start < old.period_end) {
      await tx.query('INSERT INTO superseded_periods (account_id, period_start, superseded_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        input.accountId,
        old.period_start,
        start,
      ]);
      // Sequence numbers continue the new period's; identifiers stay (a pending event is resent under its own).
      await tx.query(
        `UPDATE usage_reports r SET period_start = $3,
           seq = r.seq + (SELECT coalesce(max(seq), 0) FROM usage_reports WHERE account_id = $1 AND period_start = $3)
         WHERE r.account_id = $1 AND r.period_start = $2`,
        [input.accountId, old.period_start, start],
      );
    }
    return true;
  });
}
