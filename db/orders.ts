import type { Db } from '../platform/pg';

export type OrderStatus = 'pending' | 'paid' | 'failed' | 'refunded' | 'partially_refunded';

export interface Order {
  id: string;
  appId: string;
  customerId: string;
  productId: string;
  quantity: number;
  amount: number;
  currency: string;
  status: OrderStatus;
  amountRefunded: number;
  stripeSessionId: string | null;
  paymentIntent: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A row of orders as pg returns it (bigint as a string, timestamptz as a Date). */
interface OrderRow {
  id: string;
  app_id: string;
  customer_id: string;
  product_id: string;
  quantity: number;
  amount: string;
  currency: string;
  status: OrderStatus;
  amount_refunded: string;
  stripe_session_id: string | null;
  payment_intent: string | null;
  created_at: Date;
  updated_at: Date;
}

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  appId: r.app_id,
  customerId: r.customer_id,
  productId: r.product_id,
  quantity: r.quantity,
  amount: Number(r.amount),
  currency: r.currency,
  status: r.status,
  amountRefunded: Number(r.amount_refunded),
  stripeSessionId: r.stripe_session_id,
  paymentIntent: r.payment_intent,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Upsert by id: the checkout workflow records the order before it asks Stripe for a session. */
export async function createPendingOrder(
  db: Pick<Db, 'query'>,
  o: Pick<Order, 'id' | 'appId' | 'customerId' | 'productId' | 'quantity' | 'amount' | 'currency'>,
): Promise<void> {
  await db.query(
    `INSERT INTO orders (id, app_id, customer_id, product_id, quantity, amount, currency) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING`,
    [o.id, o.appId, o.customerId, o.productId, o.quantity, o.amount, o.currency],
  );
}

export async function setOrderSession(db: Pick<Db, 'query'>, id: string, sessionId: string): Promise<void> {
  await db.query('UPDATE orders SET stripe_session_id = $2, updated_at = now() WHERE id = $1', [id, sessionId]);
}

export async function getOrder(db: Pick<Db, 'query'>, appId: string, id: string): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE app_id = $1 AND id = $2', [appId, id]);
  return rows[0] && toOrder(rows[0]);
}

// The cursor is the last row's (created_at in microseconds, id): exact, stable under inserts.
const encode = (r: OrderRow & { created_us: string }) => Buffer.from(`${r.created_us}.${r.id}`).toString('base64url');
const decode = (cursor: string): [string, string] | undefined => {
  const m = /^(\d{1,16})\.(.+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  return m ? [m[1]!, m[2]!] : undefined;
};
export const isValidOrderCursor = (cursor: string) => decode(cursor) !== undefined;

/** Newest first; `customerId` scopes to one end user. */
export async function listOrders(
  db: Pick<Db, 'query'>,
  q: { appId: string; customerId?: string; cursor?: string; limit: number },
): Promise<{ orders: Order[]; nextCursor: string | null }> {
  const after = q.cursor ? decode(q.cursor) : undefined;
  const { rows } = await db.query<OrderRow & { created_us: string }>(
    `SELECT *, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us FROM orders
     WHERE app_id = $1 AND ($2::text IS NULL OR customer_id = $2)
       AND ($3::bigint IS NULL OR (created_at, id) < (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::text))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [q.appId, q.customerId ?? null, after?.[0] ?? null, after?.[1] ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return { orders: page.map(toOrder), nextCursor: rows.length > q.limit ? encode(page[page.length - 1]!) : null };
}

/** A paid session. A refund or a later state is never undone by a late completion event. */
export async function markOrderPaid(db: Pick<Db, 'query'>, appId: string, id: string, paymentIntent: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE orders SET status = 'paid', payment_intent = coalesce($3, payment_intent), updated_at = now()
     WHERE app_id = $1 AND id = $2 AND status IN ('pending', 'failed')`,
    [appId, id, paymentIntent],
  );
  return (rowCount ?? 0) > 0;
}

/** A failed attempt only fails an order that was not paid: the customer may retry and pay. */
export async function markOrderFailed(db: Pick<Db, 'query'>, appId: string, id: string, paymentIntent: string | null): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE orders SET status = 'failed', payment_intent = coalesce(payment_intent, $3), updated_at = now()
     WHERE app_id = $1 AND id = $2 AND status = 'pending'`,
    [appId, id, paymentIntent],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Stripe's `amount_refunded` is cumulative, so it only grows: applying it only when larger makes
 * a duplicate or late refund event a no-op. Fully refunded when it reaches the order's amount.
 */
export async function applyOrderRefund(db: Pick<Db, 'query'>, appId: string, id: string, amountRefunded: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE orders SET amount_refunded = $3,
       status = CASE WHEN $3 >= amount THEN 'refunded' ELSE 'partially_refunded' END, updated_at = now()
     WHERE app_id = $1 AND id = $2 AND amount_refunded < $3`,
    [appId, id, amountRefunded],
  );
  return (rowCount ?? 0) > 0;
}

/** The order of a payment, when the event lacks our metadata (e.g. a charge made elsewhere). */
export async function orderIdOfPaymentIntent(db: Pick<Db, 'query'>, appId: string, paymentIntent: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM orders WHERE app_id = $1 AND payment_intent = $2', [appId, paymentIntent]);
  return rows[0]?.id;
}

/** The app an order belongs to, found by its id or its PaymentIntent, whichever app that is. */
export async function appOfOrder(db: Pick<Db, 'query'>, ref: { orderId: string | null; paymentIntent: string | null }): Promise<string | undefined> {
  const { rows } = await db.query<{ app_id: string }>('SELECT app_id FROM orders WHERE id = $1 OR payment_intent = $2 LIMIT 1', [
    ref.orderId,
    ref.paymentIntent,
  ]);
  return rows[0]?.app_id;
}
