import type { Db } from '../platform/pg';

export type CheckoutStatus = 'open' | 'completed' | 'expired' | 'changed';

export interface Checkout {
  id: string;
  workflowId: string;
  accountId: string;
  planId: string;
  stripeSessionId: string | null;
  url: string;
  status: CheckoutStatus;
  createdAt: string;
}

/** A row of checkouts as pg returns it (timestamptz as a Date). */
interface CheckoutRow {
  id: string;
  workflow_id: string;
  account_id: string;
  plan_id: string;
  stripe_session_id: string | null;
  url: string;
  status: CheckoutStatus;
  created_at: Date;
  updated_at: Date;
}

const toCheckout = (r: CheckoutRow): Checkout => ({
  id: r.id,
  workflowId: r.workflow_id,
  accountId: r.account_id,
  planId: r.plan_id,
  stripeSessionId: r.stripe_session_id,
  url: r.url,
  status: r.status,
  createdAt: r.created_at.toISOString(),
});

/** Upsert by id: a retried activity (or a replayed workflow) leaves one row. */
export async function recordCheckout(db: Pick<Db, 'query'>, c: Omit<Checkout, 'createdAt'>): Promise<Checkout> {
  const { rows } = await db.query<CheckoutRow>(
    `INSERT INTO checkouts (id, workflow_id, account_id, plan_id, stripe_session_id, url, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET stripe_session_id = EXCLUDED.stripe_session_id, url = EXCLUDED.url, updated_at = now()
     RETURNING *`,
    [c.id, c.workflowId, c.accountId, c.planId, c.stripeSessionId, c.url, c.status],
  );
  return toCheckout(rows[0]!);
}

/** Only an open checkout moves on: completed / expired are final. */
export async function closeCheckout(db: Pick<Db, 'query'>, id: string, status: Exclude<CheckoutStatus, 'open'>): Promise<void> {
  await db.query(`UPDATE checkouts SET status = $2, updated_at = now() WHERE id = $1 AND status = 'open'`, [id, status]);
}

export async function getCheckoutByWorkflowId(db: Pick<Db, 'query'>, workflowId: string): Promise<Checkout | undefined> {
  const { rows } = await db.query<CheckoutRow>('SELECT * FROM checkouts WHERE workflow_id = $1', [workflowId]);
  return rows[0] && toCheckout(rows[0]);
}
