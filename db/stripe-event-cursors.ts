import type { Db } from '../platform/pg';

/** '' is the platform's own Stripe account; otherwise a connected account id. */
export const cursorKey = (stripeAccount: string | null) => stripeAccount ?? '';

/** The `created` (seconds) of the newest event reconciliation has seen in this account's list. */
export async function getEventCursor(db: Pick<Db, 'query'>, stripeAccount: string | null): Promise<number> {
  const { rows } = await db.query('SELECT last_created FROM stripe_event_cursors WHERE stripe_account = $1', [cursorKey(stripeAccount)]);
  return rows[0] ? Number(rows[0].last_created) : 0;
}

/** Moves forward only: a slow run finishing after a faster one never moves it back. */
export async function advanceEventCursor(db: Pick<Db, 'query'>, stripeAccount: string | null, lastCreated: number): Promise<void> {
  await db.query(
    `INSERT INTO stripe_event_cursors AS c (stripe_account, last_created) VALUES ($1, $2)
     ON CONFLICT (stripe_account) DO UPDATE SET last_created = greatest(c.last_created, $2), last_run_at = now()`,
    [cursorKey(stripeAccount), lastCreated],
  );
}

/** Every connected account of an app: each has an events list of its own. */
export async function connectedAccounts(db: Pick<Db, 'query'>): Promise<{ appId: string; stripeAccount: string }[]> {
  const { rows } = await db.query<{ id: string; stripe_account_id: string }>(
    'SELECT id, stripe_account_id FROM apps WHERE stripe_account_id IS NOT NULL ORDER BY id',
  );
  return rows.map((r) => ({ appId: r.id, stripeAccount: r.stripe_account_id }));
}
