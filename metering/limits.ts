import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { AppError } from '../platform/errors';
import { isGauge, type Meter } from '../platform/meters';
import { periodUsage } from './period-usage';

export interface CheckInput { accountId: string; meter: Meter; amount: number; reserve?: boolean }
export interface CheckResult { allowed: boolean; used: number; limit: number | null; remaining: number | null; mode: 'hard' | 'soft' | 'none' }

interface AccountLimit { periodStart: Date; periodEnd: Date; limit: number | null; mode: 'hard' | 'soft' | 'none' }

// Both caches only make `used` lag by up to this long; admissions are decided by the counter
// row in Postgres, which is never cached.
const CACHE_MS = 1_000;

/**
 * Limit checks with reservations. For counters, limit_counters.committed is a high-water mark:
 * committed = greatest(metered usage, committed) + amount, written by one conditional upsert,
 * so concurrent hard-limit checks queue on the row and never admit past the limit. A reserved
 * amount that is later reported as events is not counted twice (greatest, not sum). Storage is
 * a level, not a flow: it is compared as latest reading + amount, with nothing reserved.
 */
export function createLimitChecker(deps: { db: Db; store: MeteringStore }) {
  const limits = new Map<string, { value: AccountLimit; until: number }>();
  const metered = new Map<string, { value: Promise<Record<Meter, number>>; until: number }>();
  const usageOf = periodUsage(deps.store);

  async function accountLimit(accountId: string, meter: Meter): Promise<AccountLimit> {
    const key = `${accountId}|${meter}`;
    const hit = limits.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const { rows } = await deps.db.query<{ period_start: Date; period_end: Date; limit_value: string | null; mode: 'hard' | 'soft' | null }>(
      `SELECT a.period_start, a.period_end, l.limit_value, l.mode FROM accounts a
       LEFT JOIN plan_limits l ON l.plan_id = a.plan_id AND l.meter = $2 WHERE a.id = $1`,
      [accountId, meter],
    );
    const row = rows[0];
    if (!row) throw new AppError('not_found', 'Account not found', [{ path: ['body', 'accountId'], message: 'no such account' }]);
    const value: AccountLimit = { periodStart: row.period_start, periodEnd: row.period_end, limit: row.limit_value === null ? null : Number(row.limit_value), mode: row.mode ?? 'none' };
    limits.set(key, { value, until: Date.now() + CACHE_MS });
    return value;
  }

  function meteredUsage(accountId: string, l: AccountLimit): Promise<Record<Meter, number>> {
    const key = `${accountId}|${l.periodStart.toISOString()}`;
    const hit = metered.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = usageOf(accountId, l.periodStart, l.periodEnd);
    metered.set(key, { value, until: Date.now() + CACHE_MS });
    value.catch(() => metered.delete(key));
    return value;
  }

  async function reserve(input: CheckInput, l: AccountLimit, used: number): Promise<number | undefined> {
    const hard = l.mode === 'hard';
    const { rows } = await deps.db.query<{ committed: string }>(
      `INSERT INTO limit_counters AS c (account_id, meter, period_start, committed)
       SELECT $1, $2, $3, $4::numeric + $5::numeric WHERE NOT $7 OR $4::numeric + $5::numeric <= $6::numeric
       ON CONFLICT (account_id, meter, period_start) DO UPDATE
         SET committed = greatest($4::numeric, c.committed) + $5::numeric, updated_at = now()
         WHERE NOT $7 OR greatest($4::numeric, c.committed) + $5::numeric <= $6::numeric
       RETURNING committed`,
      [input.accountId, input.meter, l.periodStart, used, input.amount, l.limit ?? 0, hard],
    );
    return rows[0] ? Number(rows[0].committed) : undefined;
  }

  async function committed(input: CheckInput, l: AccountLimit): Promise<number> {
    const { rows } = await deps.db.query<{ committed: string }>(
      'SELECT committed FROM limit_counters WHERE account_id = $1 AND meter = $2 AND period_start = $3',
      [input.accountId, input.meter, l.periodStart],
    );
    return rows[0] ? Number(rows[0].committed) : 0;
  }

  const result = (allowed: boolean, used: number, l: AccountLimit): CheckResult => ({
    allowed, used, limit: l.limit, remaining: l.limit === null ? null : Math.max(l.limit - used, 0), mode: l.mode,
  });

  return {
    async check(input: CheckInput): Promise<CheckResult> {
      const l = await accountLimit(input.accountId, input.meter);
      const meteredNow = (await meteredUsage(input.accountId, l))[input.meter];
      if (l.limit === null) return result(true, meteredNow, l);
      if (isGauge(input.meter)) return result(l.mode === 'soft' || meteredNow + input.amount <= l.limit, meteredNow, l);
      if (input.reserve === false) {
        const used = Math.max(meteredNow, await committed(input, l));
        return result(l.mode === 'soft' || used + input.amount <= l.limit, used, l);
      }
      const after = await reserve(input, l, meteredNow);
      if (after !== undefined) return result(true, after, l);
      return result(false, Math.max(meteredNow, await committed(input, l)), l);
    },
  };
}

export type LimitChecker = ReturnType<typeof createLimitChecker>;
