import type { Db } from '../platform/pg';

/** An account's maximum overage spend per period, in cents (decimal text); null: no cap. */
export async function getSpendCap(db: Pick<Db, 'query'>, accountId: string): Promise<string | null> {
  const { rows } = await db.query<{ max_cents: string }>('SELECT max_cents::text AS max_cents FROM spend_caps WHERE account_id = $1', [accountId]);
  return rows[0]?.max_cents ?? null;
}

export async function setSpendCap(db: Pick<Db, 'query'>, accountId: string, maxCents: number | null): Promise<void> {
  if (maxCents === null) {
    await db.query('DELETE FROM spend_caps WHERE account_id = $1', [accountId]);
    return;
  }
  await db.query(
    `INSERT INTO spend_caps (account_id, max_cents) VALUES ($1, $2)
     ON CONFLICT (account_id) DO UPDATE SET max_cents = $2, updated_at = now()`,
    [accountId, String(maxCents)],
  );
}

/**
 * The spend-cap alert of a period, raised once: it shares the usage alerts' uniqueness on
 * (account, meter, period, threshold), with `spend_cap` as its meter and amounts in cents.
 */
export async function raiseSpendCapAlert(
  db: Pick<Db, 'query'>,
  input: { id: string; accountId: string; periodStart: string; spentCents: string; capCents: string },
): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO usage_alerts (id, account_id, meter, period_start, threshold, used, limit_value)
     VALUES ($1, $2, 'spend_cap', $3, 100, $4, $5) ON CONFLICT (account_id, meter, period_start, threshold) DO NOTHING`,
    [input.id, input.accountId, input.periodStart, input.spentCents, input.capCents],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Accounts with a spend cap (of `accountIds` when given) and their current period. */
export async function accountsWithSpendCaps(
  db: Pick<Db, 'query'>,
  accountIds?: string[],
): Promise<{ accountId: string; periodStart: Date; periodEnd: Date }[]> {
  const { rows } = await db.query<{ id: string; period_start: Date; period_end: Date }>(
    `SELECT a.id, a.period_start, a.period_end FROM accounts a JOIN spend_caps c ON c.account_id = a.id
     WHERE $1::text[] IS NULL OR a.id = ANY($1::text[])`,
    [accountIds ?? null],
  );
  return rows.map((r) => ({ accountId: r.id, periodStart: r.period_start, periodEnd: r.period_end }));
}
