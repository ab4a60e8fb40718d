import { LRUCache } from 'lru-cache';
import type { Db } from '../platform/pg';
import { AppError } from '../platform/errors';
import type { Meter } from '../platform/meters';
import { toNano } from './decimal';
import { limitTerms } from './effective-limits';
import type { CapBudget } from './spend-cap-budget';

export type LimitMode = 'hard' | 'soft' | 'none';
export interface AccountLimit {
  periodStart: Date;
  periodEnd: Date;
  limit: bigint | null;
  mode: LimitMode;
  /** Set when a spend cap limits the meter: the limit then depends on the other meters' usage (capLimit). */
  budget?: CapBudget;
}

/**
 * An account's period and its plan's limit for a meter, cached for `ttlMs`: a plan change or a
 * period renewal reaches the checks of every process within that time. Bounded (LRU), so a
 * hundred thousand accounts cost a fixed amount of memory.
 */
export function createLimitConfig(db: Db, opts: { ttlMs?: number; max?: number } = {}) {
  const cache = new LRUCache<string, AccountLimit>({
    max: opts.max ?? 200_000,
    ttl: opts.ttlMs ?? 1_000,
    // Past its TTL an entry is still answered while one background read refreshes it: a check
    // never waits for this read once the account is known (a change shows on the next check).
    allowStale: true,
    fetchMethod: async (key) => {
      const [accountId, meter] = key.split('\u0000') as [string, Meter];
      const { rows } = await db.query<{ period_start: Date; period_end: Date }>('SELECT period_start, period_end FROM accounts WHERE id = $1', [accountId]);
      const row = rows[0];
      if (!row) throw new AppError('not_found', 'Account not found', [{ path: ['body', 'accountId'], message: 'no such account' }]);
      // The plan's limit, or the hard limit an overage spend cap makes of a soft one: that one
      // is computed per check from the usage snapshot of all the account's priced meters.
      const { plan, budget } = await limitTerms(db, accountId);
      if (budget?.capped.has(meter)) return { periodStart: row.period_start, periodEnd: row.period_end, limit: null, mode: 'hard', budget };
      const limit = plan[meter];
      return {
        periodStart: row.period_start,
        periodEnd: row.period_end,
        limit: limit ? toNano(limit.limit) : null,
        mode: limit?.mode ?? 'none',
      };
    },
  });
  return {
    /** Resolves from memory while cached; concurrent misses of one key share one query. */
    get(accountId: string, meter: Meter): Promise<AccountLimit> {
      return cache.fetch(`${accountId}\u0000${meter}`) as Promise<AccountLimit>;
    },
  };
}
