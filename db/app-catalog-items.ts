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

type Table = 'app_plans' | 'app_products';

/** One item of the app; another app's is not found. */
export async function getAppCatalogRow<R extends AppCatalogItemRow>(db: Pick<Db, 'query'>, table: Table, appId: string, id: string): Promise<R | undefined> {
  return (await db.query<R>(`SELECT * FROM ${table} WHERE app_id = $1 AND id = $2`, [appId, id])).rows[0];
}

/** The app's items, oldest first (id breaks ties), so pages and lists are stable. */
export async function listAppCatalogRows<R extends AppCatalogItemRow>(db: Pick<Db, 'query'>, table: Table, appId: string): Promise<R[]> {
  return (await db.query<R>(`SELECT * FROM ${table} WHERE app_id = $1 ORDER BY created_at, id`, [appId])).rows;
}
