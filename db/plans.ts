import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';

import type { Meter } from '../platform/meters';
import { overagePrices, replaceOveragePrices, type OveragePrices } from './overage-prices';

export type LimitMode = 'hard' | 'soft';

export interface PlanLimit {
  limit: number;
  mode: LimitMode;
}

export interface Plan {
  id: string;
  name: string;
  description: string;
  amountCents: number;
  currency: string;
  interval: 'month' | 'year';
  stripePriceId: string | null;
  isDefault: boolean;
  limits: Partial<Record<Meter, PlanLimit>>;
  /** Usage beyond an included amount billed through Stripe meters; empty: no overage billing. */
  overage: OveragePrices;
}

const PLAN_SQL = `
  SELECT p.id, p.name, p.description, p.amount_cents, p.currency, p.interval, p.stripe_price_id, p.is_default,
         coalesce(json_object_agg(l.meter, json_build_object('limit', l.limit_value, 'mode', l.mode))
                  FILTER (WHERE l.meter IS NOT NULL), '{}') AS limits
  FROM plans p LEFT JOIN plan_limits l ON l.plan_id = p.id`;

interface PlanRow {
  id: string;
  name: string;
  description: string;
  amount_cents: number;
  currency: string;
  interval: 'month' | 'year';
  stripe_price_id: string | null;
  is_default: boolean;
  limits: Record<string, { limit: string | number; mode: LimitMode }>;
}

const toPlan = (r: PlanRow): Omit<Plan, 'overage'> => ({
  id: r.id,
  name: r.name,
  description: r.description,
  amountCents: r.amount_cents,
  currency: r.currency,
  interval: r.interval,
  stripePriceId: r.stripe_price_id,
  isDefault: r.is_default,
  limits: Object.fromEntries(Object.entries(r.limits).map(([m, l]) => [m, { limit: Number(l.limit), mode: l.mode }])),
});

export async function listPlans(db: Db): Promise<Plan[]> {
  const { rows } = await db.query<PlanRow>(`${PLAN_SQL} GROUP BY p.id ORDER BY p.amount_cents, p.id`);
  return Promise.all(rows.map(async (r) => ({ ...toPlan(r), overage: await overagePrices(db, r.id) })));
}

export async function getPlan(db: Pick<Db, 'query'>, id: string): Promise<Plan | undefined> {
  const { rows } = await db.query<PlanRow>(`${PLAN_SQL} WHERE p.id = $1 GROUP BY p.id`, [id]);
  return rows[0] && { ...toPlan(rows[0]), overage: await overagePrices(db, id) };
}

export async function defaultPlanId(db: Pick<Db, 'query'>): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM plans WHERE is_default');
  if (!rows[0]) throw new Error('no default plan: migrations not applied?');
  return rows[0].id;
}

/** Creates or replaces a platform plan and its limits in one transaction. */
export async function upsertPlan(
  db: Db,
  plan: {
    id: string;
    name: string;
    description?: string;
    amountCents: number;
    currency?: string;
    interval?: 'month' | 'year';
    stripePriceId?: string | null;
    limits: Partial<Record<Meter, PlanLimit>>;
    overage?: Partial<Record<Meter, { included: number; unitAmountCents: number; blockSize?: number }>>;
  },
): Promise<Plan> {
  return inTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO plans (id, name, description, amount_cents, currency, interval, stripe_price_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET name = $2, description = $3, amount_cents = $4, currency = $5, interval = $6,
         stripe_price_id = coalesce($7, plans.stripe_price_id), updated_at = now()`,
      [plan.id, plan.name, plan.description ?? '', plan.amountCents, plan.currency ?? 'usd', plan.interval ?? 'month', plan.stripePriceId ?? null],
    );
    await tx.query('DELETE FROM plan_limits WHERE plan_id = $1', [plan.id]);
    for (const [meter, l] of Object.entries(plan.limits)) {
      await tx.query('INSERT INTO plan_limits (plan_id, meter, limit_value, mode) VALUES ($1, $2, $3, $4)', [plan.id, meter, l.limit, l.mode]);
    }
    await replaceOveragePrices(tx, plan.id, plan.overage ?? {});
    return (await getPlan(tx, plan.id))!;
  });
}

/** Reverse of the catalogue's price mapping: which platform plan a Stripe Price sells. */
export async function planIdOfPrice(db: Pick<Db, 'query'>, priceId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM plans WHERE stripe_price_id = $1', [priceId]);
  return rows[0]?.id;
}
