import type { Db } from '../platform/pg';
import { appCatalogItemParams, appCatalogReads, orNull, toAppCatalogItem, type AppCatalogItem, type AppCatalogItemRow } from './app-catalog-items';

export interface AppProduct extends AppCatalogItem {
  metadata: Record<string, string>;
}

/** A row of app_products as pg returns it (jsonb parsed). */
interface AppProductRow extends AppCatalogItemRow {
  metadata: Record<string, string>;
}

const toProduct = (r: AppProductRow): AppProduct => ({ ...toAppCatalogItem(r), metadata: r.metadata });

/** Upsert by id: the catalogue workflow may retry this after the Stripe objects exist. */
export async function insertAppProduct(db: Pick<Db, 'query'>, p: Omit<AppProduct, 'active' | 'createdAt' | 'updatedAt'>): Promise<AppProduct> {
  const { rows } = await db.query<AppProductRow>(
    `INSERT INTO app_products (id, app_id, stripe_product_id, stripe_price_id, name, description, amount, currency, metadata)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (id) DO UPDATE SET updated_at = app_products.updated_at RETURNING *`,
    [...appCatalogItemParams(p), JSON.stringify(p.metadata)],
  );
  return toProduct(rows[0]!);
}

const reads = appCatalogReads('app_products', toProduct);
export const getAppProduct = reads.get;
export const listAppProducts = reads.list;

export type AppProductChange = Partial<Pick<AppProduct, 'name' | 'description' | 'metadata' | 'amount' | 'currency' | 'stripePriceId'>>;

/** Orders keep the amount they were bought at; only new purchases see a new price. */
export async function updateAppProduct(db: Pick<Db, 'query'>, appId: string, id: string, c: AppProductChange): Promise<AppProduct | undefined> {
  const { rows } = await db.query<AppProductRow>(
    `UPDATE app_products SET name = coalesce($3, name), description = coalesce($4, description), metadata = coalesce($5::jsonb, metadata),
       amount = coalesce($6, amount), currency = coalesce($7, currency), stripe_price_id = coalesce($8, stripe_price_id), updated_at = now()
     WHERE app_id = $1 AND id = $2 RETURNING *`,
    [appId, id, ...orNull(c.name, c.description, c.metadata && JSON.stringify(c.metadata), c.amount, c.currency, c.stripePriceId)],
  );
  return rows[0] && toProduct(rows[0]);
}
