import type { Db } from '../platform/pg';

// mismatch: the event's connected account is not the app that owns the object it names.
export type StripeEventOutcome = 'pending' | 'applied' | 'ignored' | 'unknown_account' | 'stale' | 'failed' | 'mismatch';

export interface StoredStripeEvent {
  id: string;
  type: string;
  account: string | null;
  payload: unknown;
  receivedAt: string;
  processedAt: string | null;
  outcome: StripeEventOutcome;
}

/**
 * Records a verified event once (the event id is the key). Returns false for a redelivery,
 * which the caller still acknowledges: Stripe only needs to hear 2xx.
 */
export async function recordStripeEvent(
  db: Pick<Db, 'query'>,
  e: { id: string; type: string; account: string | null; payload: unknown; outcome: StripeEventOutcome },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO stripe_events (id, type, account, payload, outcome) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO NOTHING`,
    [e.id, e.type, e.account, JSON.stringify(e.payload), e.outcome],
  );
  return (rowCount ?? 0) > 0;
}

export async function getStripeEvent(db: Pick<Db, 'query'>, id: string): Promise<StoredStripeEvent | undefined> {
  const { rows } = await db.query('SELECT * FROM stripe_events WHERE id = $1', [id]);
  const r = rows[0];
  return (
    r && {
      id: r.id,
      type: r.type,
      account: r.account,
      payload: r.payload,
      outcome: r.outcome,
      receivedAt: r.received_at.toISOString(),
      processedAt: r.processed_at?.toISOString() ?? null,
    }
  );
}

export async function markStripeEvent(db: Pick<Db, 'query'>, id: string, outcome: StripeEventOutcome): Promise<void> {
  await db.query('UPDATE stripe_events SET outcome = $2, processed_at = now() WHERE id = $1', [id, outcome]);
}
