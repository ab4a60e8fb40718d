import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { appCatalogItemParams, appCatalogReads, orNull, toAppCatalogItem, type AppCatalogItem, type AppCatalogItemRow } from './app-catalog-items';

export type PlanInterval = 'day' | 'week' | 'month' | 'year';

export interface AppPlan extends AppCatalogItem {
  interval: PlanInterval;
  features: string[];
}

/** A row of app_plans as pg returns it (jsonb parsed). */
interface AppPlanRow extends AppCatalogItemRow {
  interval: PlanInterval;
  features: string[];
}

const toPlan = (r: AppPlanRow): AppPlan => ({ ...toAppCatalogItem(r), interval: r.interval, features: r.features });

/** Upsert by id: the catalogue workflow may retry this after the Stripe objects exist. */
export async function insertAppPlan(db: Pick<Db, 'query'>, p: Omit<AppPlan, 'active' | 'createdAt' | 'updatedAt'>): Promise<AppPlan> {
  const { rows } = await db.query<AppPlanRow>(
    `INSERT INTO app_plans (id, app_id, stripe_product_id, stripe_price_id, name, description, amount, currency, interval, features)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET updated_at = app_plans.updated_at RETURNING *`,
    [...appCatalogItemParams(p), p.interval, JSON.stringify(p.features)],
  );
  return toPlan(rows[0]!);
}

const reads = appCatalogReads('app_plans', toPlan);
export const getAppPlan = reads.get;
export const listAppPlans = reads.list;

export type AppPlanChange = Partial<Pick<AppPlan, 'name' | 'description' | 'features' | 'amount' | 'currency' | 'interval' | 'stripePriceId'>>;

/**
 * Applies an update. When the Price changed, the old one goes to app_plan_prices in the same
 * transaction: its subscribers stay on it, and their events still resolve to this plan.
 */
export async function updateAppPlan(db: Db, appId: string, id: string, change: AppPlanChange): Promise<AppPlan | undefined> {
  return inTransaction(db, async (tx) => {
    const before = (await tx.query<AppPlanRow>('SELECT * FROM app_plans WHERE app_id = $1 AND id = $2 FOR UPDATE', [appId, id])).rows[0];
    if (!before) return undefined;
    if (change.stripePriceId && change.stripePriceId !== before.stripe_price_id) {
      await tx.query('INSERT INTO app_plan_prices (stripe_price_id, plan_id, amount, currency, interval) VALUES ($1, $2, $3, $4, $5)', [
        before.stripe_price_id,
        id,
        before.amount,
        before.currency,
        before.interval,
      ]);
    }
    const { rows } = await tx.query<AppPlanRow>(
      `UPDATE app_plans SET name = coalesce($3, name), description = coalesce($4, description), features = coalesce($5::jsonb, features),
         amount = coalesce($6, amount), currency = coalesce($7, currency), interval = coalesce($8, interval),
         stripe_price_id = coalesce($9, stripe_price_id), updated_at = now()
       WHERE app_id = $1 AND id = $2 RETURNING *`,
      [
        appId,
        id,
        ...orNull(
          change.name,
          change.description,
          change.features && JSON.stringify(change.features),
          change.amount,
          change.currency,
          change.interval,
          change.stripePriceId,
        ),
      ],
    );
    return toPlan(rows[0]!);
  });
}

/** The plan a Stripe Price belongs to, current or archived, within one app. */
export async function appPlanIdOfPrice(db: Pick<Db, 'query'>, appId: string, priceId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM app_plans WHERE app_id = $1 AND stripe_price_id = $2
     UNION SELECT pp.plan_id FROM app_plan_prices pp JOIN app_plans p ON p.id = pp.plan_id WHERE p.app_id = $1 AND pp.stripe_price_id = $2 LIMIT 1`,
    [appId, priceId],
  );
  return rows[0]?.id;
}
