import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';
import { fromNano, toNano } from './decimal';
import { capLimit, pricedTerms, type CapBudget, type PricedTerms } from './spend-cap-budget';

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

/** An account's plan limits, and the spend-cap budget that overrides the limits of the meters it caps. */
export interface LimitTerms {
  plan: Partial<Record<Meter, EffectiveLimit>>;
  budget?: CapBudget;
}

/**
 * What an account's limits are made of. A soft-limited meter with an overage price becomes hard
 * once the account has a spend cap (a priced meter with no plan limit gets one only from the
 * cap): from the moment the cap is set, its limit is the included amount plus the whole blocks
 * the cap still buys. The cap is one budget for all priced meters (spend-cap-budget.ts).
 */
export async function limitTerms(db: Pick<Db, 'query'>, accountId: string): Promise<LimitTerms> {
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
  const plan: LimitTerms['plan'] = {};
  const priced = new Map<string, PricedTerms>();
  const capped = new Set<string>();
  for (const r of rows) {
    if (r.limit_value !== null && r.mode !== null) plan[r.meter] = { limit: Number(r.limit_value), mode: r.mode };
    if (r.unit_amount_cents === null) continue;
    const terms = pricedTerms({ included: r.included!, unitAmountCents: r.unit_amount_cents, blockSize: r.block_size! });
    priced.set(r.meter, terms);
    if ((r.mode === null || r.mode === 'soft') && terms.price > 0n) capped.add(r.meter);
  }
  const cap = rows[0]?.max_cents ?? null;
  return cap === null || priced.size === 0 ? { plan } : { plan, budget: { cap: toNano(cap), priced, capped } };
}

/**
 * An account's limits as the limit checker enforces them, for this period's usage per meter
 * (`usage`; a meter missing from it counts as unused).
 */
export async function effectiveLimits(
  db: Pick<Db, 'query'>,
  accountId: string,
  usage: Partial<Record<Meter, number | string>> = {},
): Promise<Partial<Record<Meter, EffectiveLimit>>> {
  const { plan, budget } = await limitTerms(db, accountId);
  const result = { ...plan };
  if (budget) {
    const used = (m: string) => toNano(usage[m as Meter] ?? 0);
    for (const meter of budget.capped) result[meter as Meter] = { limit: fromNano(capLimit(budget, meter, used)), mode: 'hard' };
  }
  return result;
}
