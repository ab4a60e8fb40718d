import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';

export interface SlotHolder {
  workflowId: string;
  sessionId: string | null;
  stripeAccount: string | null;
}

/**
 * Takes the owner's checkout slot for this workflow and returns who held it before (their
 * session is to be expired). Taking it again from the same workflow (a retried activity)
 * returns no previous holder, so a retry never expires its own session.
 */
export async function claimCheckoutSlot(db: Db, owner: string, workflowId: string): Promise<SlotHolder | null> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query('SELECT workflow_id, session_id, stripe_account FROM checkout_slots WHERE owner = $1 FOR UPDATE', [owner]);
    const before = rows[0];
    if (before?.workflow_id === workflowId) return null;
    await tx.query(
      `INSERT INTO checkout_slots (owner, workflow_id) VALUES ($1, $2)
       ON CONFLICT (owner) DO UPDATE SET workflow_id = $2, session_id = NULL, stripe_account = NULL, updated_at = now()`,
      [owner, workflowId],
    );
    return before ? { workflowId: before.workflow_id, sessionId: before.session_id, stripeAccount: before.stripe_account } : null;
  });
}

/**
 * Records the session of the slot's holder. False when a newer checkout took the slot while
 * this one was creating its session: that session must not stay payable.
 */
export async function holdCheckoutSlot(
  db: Pick<Db, 'query'>,
  owner: string,
  workflowId: string,
  sessionId: string,
  stripeAccount: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE checkout_slots SET session_id = $3, stripe_account = $4, updated_at = now() WHERE owner = $1 AND workflow_id = $2',
    [owner, workflowId, sessionId, stripeAccount],
  );
  return (rowCount ?? 0) > 0;
}
