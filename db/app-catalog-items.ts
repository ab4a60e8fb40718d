import type { Db } from '../platform/pg';

/**
 * What an app's plans and products have in common: each is a Stripe Product with one current
 * Price on the app's connected account, kept in its own table (app_plans, app_products).
 */
export interface AppCatalogItem {
  id: string;
  appId: string;
  name: string;
  description: string;
  amount: number;
  currency: string;
  active: boolean;
  stripeProductId: string;
  stripePriceId: string;
  createdAt: string;
  updatedAt: string;
}

/** The shared columns as pg returns them (bigint as a string, timestamptz as a Date). */
export interface AppCatalogItemRow {
  id: string;
  app_id: string;
  stripe_product_id: string;
  stripe_price_id: string;
  name: string;
  description: string;
  amount: string;
  currency: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export const toAppCatalogItem = (r: AppCatalogItemRow): AppCatalogItem => ({
  id: r.id,
  appId: r.app_id,
  name: r.name,
  description: r.description,
  amount: Number(r.amount),
  currency: r.currency,
  active: r.active,
  stripeProductId: r.stripe_product_id,
  stripePriceId: r.stripe_price_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The shared columns' values, in the order of the inserts: id, app_id, Stripe ids, name to currency. */
export const appCatalogItemParams = (p: Omit<AppCatalogItem, 'active' | 'createdAt' | 'updatedAt'>) => [
  p.id,
  p.appId,
  p.stripeProductId,
  p.stripePriceId,
  p.name,
  p.description,
  p.amount,
  p.currency,
];

/** Parameters of a partial UPDATE: an absent field is null, which `coalesce` keeps as stored. */
export const orNull = (...values: unknown[]) => values.map((v) => v ?? null);

type Table = 'app_plans' | 'app_products';

/**
 * Reads of one table's items, always within one app: another app's item is not found. Lists are
 * oldest first (id breaks ties), so they are stable.
 */
export function appCatalogReads<R extends AppCatalogItemRow, T>(table: Table, toItem: (r: R) => T) {
  return {
    get: async (db: Pick<Db, 'query'>, appId: string, id: string): Promise<T | undefined> => {
      const row = (await db.query<R>(`SELECT * FROM ${table} WHERE app_id = $1 AND id = $2`, [appId, id])).rows[0];
      return row && toItem(row);
    },
    list: async (db: Pick<Db, 'query'>, appId: string): Promise<T[]> =>
      (await db.query<R>(`SELECT * FROM ${table} WHERE app_id = $1 ORDER BY created_at, id`, [appId])).rows.map(toItem),
  };
}
