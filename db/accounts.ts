import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { newId } from '../platform/ids';
import { createKey } from './keys';
import { defaultPlanId } from './plans';

export interface Account {
  id: string;
  name: string;
  email: string | null;
  planId: string;
  stripeCustomerId: string | null;
  periodStart: string;
  periodEnd: string;
  provisioningState: 'pending' | 'done';
  provisioningNote: string | null;
  createdAt: string;
}

interface AccountRow {
  id: string;
  name: string;
  email: string | null;
  plan_id: string;
  stripe_customer_id: string | null;
  period_start: Date;
  period_end: Date;
  provisioning_state: 'pending' | 'done';
  provisioning_note: string | null;
  created_at: Date;
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  name: r.name,
  email: r.email,
  planId: r.plan_id,
  stripeCustomerId: r.stripe_customer_id,
  periodStart: r.period_start.toISOString(),
  periodEnd: r.period_end.toISOString(),
  provisioningState: r.provisioning_state,
  provisioningNote: r.provisioning_note,
  createdAt: r.created_at.toISOString(),
});

/** Adds calendar months in UTC, clamping to the month's last day (Jan 31 + 1 month = Feb 28). */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Creates the account on the default plan with its first monthly period, and its first API key. */
export async function createAccount(db: Db, input: { name: string; email?: string }, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const id = newId('acct');
    // Periods start on a quarter hour: usage rollups are 15-minute buckets, so a period is an
    // exact sum of whole buckets.
    const quarter = 15 * 60_000;
    const start = new Date(Math.floor(now.getTime() / quarter) * quarter);
    const { rows } = await tx.query<AccountRow>(
      `INSERT INTO accounts (id, name, email, plan_id, period_start, period_end)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [id, input.name, input.email ?? null, await defaultPlanId(tx), start, addMonths(start, 1)],
    );
    const apiKey = await createKey(tx, { kind: 'account', accountId: id, name: 'default' });
    return { account: toAccount(rows[0]!), apiKey };
  });
}

export async function getAccount(db: Pick<Db, 'query'>, id: string): Promise<Account | undefined> {
  const { rows } = await db.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
  return rows[0] && toAccount(rows[0]);
}

/** One page of accounts in id order, after the cursor `after` (keyset pagination: stable under inserts). */
export async function listAccounts(db: Pick<Db, 'query'>, page: { after?: string; limit: number }): Promise<Account[]> {
  const { rows } = await db.query<AccountRow>('SELECT * FROM accounts WHERE id > $1 ORDER BY id LIMIT $2', [page.after ?? '', page.limit]);
  return rows.map(toAccount);
}

export async function setAccountPlan(db: Db, id: string, planId: string): Promise<void> {
  await db.query('UPDATE accounts SET plan_id = $2 WHERE id = $1', [id, planId]);
}

/** Idempotent: a second completion keeps the first customer id. */
export async function completeProvisioning(db: Db, input: { accountId: string; stripeCustomerId: string | null; note: string | null }) {
  await db.query(
    `UPDATE accounts SET stripe_customer_id = coalesce(stripe_customer_id, $2), provisioning_state = 'done',
       provisioning_note = $3 WHERE id = $1`,
    [input.accountId, input.stripeCustomerId, input.note],
  );
}

/** Moves every account whose period has ended into the period containing `now`. */
export async function rollOverPeriods(db: Db, now = new Date()): Promise<number> {
  const { rows } = await db.query<{ id: string; period_end: Date }>('SELECT id, period_end FROM accounts WHERE period_end <= $1', [now]);
  for (const row of rows) {
    let start = row.period_end;
    let end = addMonths(start, 1);
    while (end <= now) {
      start = end;
      end = addMonths(start, 1);
    }
    await db.query('UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1 AND period_end = $4', [row.id, start, end, row.period_end]);
  }
  return rows.length;
}

/** The account of a Stripe customer on the platform's own Stripe account. */
export async function accountIdOfCustomer(db: Pick<Db, 'query'>, customerId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM accounts WHERE stripe_customer_id = $1', [customerId]);
  return rows[0]?.id;
}

export async function accountExists(db: Pick<Db, 'query'>, accountId: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM accounts WHERE id = $1', [accountId])).rowCount ?? 0) > 0;
}

/** Keeps the first customer id: a second create (a retried activity) does not replace it. */
export async function setStripeCustomerId(db: Pick<Db, 'query'>, accountId: string, customerId: string): Promise<void> {
  await db.query('UPDATE accounts SET stripe_customer_id = coalesce(stripe_customer_id, $2) WHERE id = $1', [accountId, customerId]);
}
