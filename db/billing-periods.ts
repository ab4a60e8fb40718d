import type { Db } from '../platform/pg';

const QUARTER_HOUR_MS = 15 * 60_000;
// Usage rollups are 15-minute buckets: a period on quarter-hour boundaries is an exact sum of them.
const toQuarter = (iso: string) => new Date(Math.floor(Date.parse(iso) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS);

/**
 * A paid invoice moves the account's usage period to the invoice's period, so limits roll over
 * with Stripe's billing cycle (limit counters and alerts are keyed by period start). Periods only
 * move forward: a late or replayed invoice event for an older period changes nothing.
 */
export async function renewAccountPeriod(db: Pick<Db, 'query'>, input: { accountId: string; periodStart: string; periodEnd: string }): Promise<boolean> {
  const start = toQuarter(input.periodStart);
  const end = toQuarter(input.periodEnd);
  if (end <= start) return false;
  const { rowCount } = await db.query(
    'UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1 AND period_end < $3 AND period_start <= $2',
    [input.accountId, start, end],
  );
  return (rowCount ?? 0) > 0;
}

/** The account of a Stripe customer on the platform's own Stripe account. */
export async function accountIdOfCustomer(db: Pick<Db, 'query'>, customerId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM accounts WHERE stripe_customer_id = $1', [customerId]);
  return rows[0]?.id;
}

export async function accountExists(db: Pick<Db, 'query'>, accountId: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM accounts WHERE id = $1', [accountId])).rowCount ?? 0) > 0;
}
