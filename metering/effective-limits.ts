import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';
import { SCALE, fromNano, toNano } from './decimal';
import { centsText, overageCost, overageUnits, unitsBudgetBuys, type OverageTerms } from './overage';

export interface EffectiveLimit {
  limit: number;
  mode: 'hard' | 'soft';
}

interface Row {
  meter: Meter;
  limit_value: string | null;
  mode: 'hard' | 'soft' | null;
  included: string | null;
  unit_amount_cents: string | null;
  block_size: string | null;
  max_cents: string | null;
}

/**
 * An account's limits as the limit checker must enforce them. A soft-limited meter with an
 * overage price becomes hard once the account has a spend cap: its limit is the included amount
 * plus the whole blocks the cap still buys. The cap is one budget for all priced meters, so the
 * budget of one meter is the cap minus what the others' overage already costs (`usage`: this
 * period's usage per meter; without it each meter may spend the whole cap alone).
 * A priced meter with no plan limit gets one only from the cap.
 */
export async function effectiveLimits(
  db: Pick<Db, 'query'>,
  accountId: string,
  usage: Partial<Record<Meter, number | string>> = {},
): Promise<Partial<Record<Meter, EffectiveLimit>>> {
  const { rows } = await db.query<Row>(
    `WITH a AS (SELECT id, plan_id FROM accounts WHERE id = $1),
          m AS (SELECT meter FROM plan_limits WHERE plan_id = (SELECT plan_id FROM a)
                UNION SELECT meter FROM plan_overage_prices WHERE plan_id = (SELECT plan_id FROM a))
     SELECT m.meter, l.limit_value::text AS limit_value, l.mode, o.included::text AS included,
            o.unit_amount_cents::text AS unit_amount_cents, o.block_size::text AS block_size, c.max_cents::text AS max_cents
     FROM m CROSS JOIN a
     LEFT JOIN plan_limits l ON l.plan_id = a.plan_id AND l.meter = m.meter
     LEFT JOIN plan_overage_prices o ON o.plan_id = a.plan_id AND o.meter = m.meter
     LEFT JOIN spend_caps c ON c.account_id = a.id`,
    [accountId],
  );
  const terms = (r: Row): OverageTerms | undefined =>
    r.unit_amount_cents === null ? undefined : { included: r.included!, unitAmountCents: r.unit_amount_cents, blockSize: r.block_size! };
  const costOf = (r: Row): bigint => {
    const t = terms(r);
    return t ? toNano(overageCost(overageUnits(usage[r.meter] ?? 0, t), t).cents) : 0n;
  };
  const result: Partial<Record<Meter, EffectiveLimit>> = {};
  for (const r of rows) {
    const t = terms(r);
    const soft = r.mode === null || r.mode === 'soft';
    if (t && soft && r.max_cents !== null) {
      const others = rows.filter((o) => o.meter !== r.meter).reduce((sum, o) => sum + costOf(o), 0n);
      const budget = toNano(r.max_cents) - others;
      const units = unitsBudgetBuys(centsText(budget > 0n ? budget : 0n), t);
      if (units !== null) {
        result[r.meter] = { limit: fromNano(toNano(t.included) + units * SCALE), mode: 'hard' };
        continue;
      }
    }
    if (r.limit_value !== null && r.mode !== null) result[r.meter] = { limit: Number(r.limit_value), mode: r.mode };
  }
  return result;
}
