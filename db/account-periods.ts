import type { Db } from '../platform/pg';

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
 */
export async function renewAccountPeriod(db: Pick<Db, 'query'>, input: { accountId: string; periodStart: string; periodEnd: string }): Promise<boolean> {
  const start = toQuarter(input.periodStart);
  const end = toQuarter(input.periodEnd);
  if (end <= start) return false;
  const { rowCount } = await db.query('UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1 AND (period_start, period_end) < ($2, $3)', [
    input.accountId,
    start,
    end,
  ]);
  return (rowCount ?? 0) > 0;
}
