import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';

/**
 * Usage beyond `included` costs `unitAmountCents` per block of `blockSize` units (Stripe bills
 * ceil(overage / blockSize) blocks). Amounts are decimal strings: exact, never doubles.
 */
export interface OveragePrice {
  included: string;
  unitAmountCents: string;
  blockSize: string;
  stripePriceId: string | null;
}
export type OveragePrices = Partial<Record<Meter, OveragePrice>>;

interface Row {
  meter: Meter;
  included: string;
  unit_amount_cents: string;
  block_size: string;
  stripe_price_id: string | null;
}

const toPrice = (r: Row): OveragePrice => ({
  included: r.included,
  unitAmountCents: r.unit_amount_cents,
  blockSize: r.block_size,
  stripePriceId: r.stripe_price_id,
});

export async function overagePrices(db: Pick<Db, 'query'>, planId: string): Promise<OveragePrices> {
  const { rows } = await db.query<Row>(
    `SELECT meter, included::text AS included, unit_amount_cents::text AS unit_amount_cents, block_size::text AS block_size, stripe_price_id
     FROM plan_overage_prices WHERE plan_id = $1 ORDER BY meter`,
    [planId],
  );
  return Object.fromEntries(rows.map((r) => [r.meter, toPrice(r)]));
}

/**
 * Replaces a plan's overage prices (inside the plan's upsert transaction). A price whose terms
 * did not change keeps its Stripe Price; a changed one loses it, so a new Price is created.
 */
export async function replaceOveragePrices(
  tx: Pick<Db, 'query'>,
  planId: string,
  prices: Partial<Record<Meter, { included: number; unitAmountCents: number; blockSize?: number }>>,
): Promise<void> {
  const meters = Object.keys(prices);
  await tx.query('DELETE FROM plan_overage_prices WHERE plan_id = $1 AND NOT (meter = ANY($2::text[]))', [planId, meters]);
  for (const [meter, p] of Object.entries(prices)) {
    await tx.query(
      `INSERT INTO plan_overage_prices (plan_id, meter, included, unit_amount_cents, block_size) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (plan_id, meter) DO UPDATE SET included = $3, unit_amount_cents = $4, block_size = $5,
         stripe_price_id = CASE WHEN plan_overage_prices.unit_amount_cents = $4 AND plan_overage_prices.block_size = $5
                                THEN plan_overage_prices.stripe_price_id END`,
      [planId, meter, String(p.included), String(p.unitAmountCents), String(p.blockSize ?? 1)],
    );
  }
}

/** Stored once the metered Price exists; a concurrent creator with the same idempotency key wrote the same id. */
export async function setOverageStripePrice(db: Pick<Db, 'query'>, input: { planId: string; meter: Meter; stripePriceId: string }): Promise<void> {
  await db.query('UPDATE plan_overage_prices SET stripe_price_id = $3 WHERE plan_id = $1 AND meter = $2', [input.planId, input.meter, input.stripePriceId]);
}

export async function stripeBillingMeter(db: Pick<Db, 'query'>, meter: Meter): Promise<{ eventName: string; stripeMeterId: string } | undefined> {
  const { rows } = await db.query<{ event_name: string; stripe_meter_id: string }>(
    'SELECT event_name, stripe_meter_id FROM stripe_billing_meters WHERE meter = $1',
    [meter],
  );
  return rows[0] && { eventName: rows[0].event_name, stripeMeterId: rows[0].stripe_meter_id };
}

export async function saveStripeBillingMeter(db: Pick<Db, 'query'>, input: { meter: Meter; eventName: string; stripeMeterId: string }): Promise<void> {
  await db.query('INSERT INTO stripe_billing_meters (meter, event_name, stripe_meter_id) VALUES ($1, $2, $3) ON CONFLICT (meter) DO NOTHING', [
    input.meter,
    input.eventName,
    input.stripeMeterId,
  ]);
}
