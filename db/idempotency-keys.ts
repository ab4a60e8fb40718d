import type { Db } from '../platform/pg';

/** How long a key's first answer is kept and replayed (Stripe keeps them 24 hours too). */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** A request that holds its key longer than this died with its process: the key is free again. */
const ABANDONED_AFTER_S = 120;

export type Claim = { kind: 'claimed' } | { kind: 'mismatch' } | { kind: 'in_progress' } | { kind: 'replay'; status: number; body: unknown };

/**
 * Takes the key for this request, or says why not. One statement decides, so two requests
 * with the same key at once cannot both win: the loser sees the winner's row. An expired or
 * abandoned row is taken over in place: abandoned is a running row of this very process
 * (`holder`; the caller claims only when no other request of this process runs the key, so the
 * row was left by one that failed while Postgres was down and could not release it), or any
 * running row older than two minutes.
 */
export async function claimIdempotencyKey(db: Pick<Db, 'query'>, k: { scope: string; key: string; requestHash: string; holder: string }): Promise<Claim> {
  const { scope, key, requestHash } = k;
  const { rows } = await db.query(
    `INSERT INTO idempotency_keys AS k (scope, key, request_hash, holder) VALUES ($1, $2, $3, $6)
     ON CONFLICT (scope, key) DO UPDATE SET request_hash = $3, status_code = NULL, response = NULL, holder = $6, created_at = now()
       WHERE k.created_at < now() - make_interval(hours => $4)
          OR (k.status_code IS NULL AND k.created_at < now() - make_interval(secs => $5))
          OR (k.status_code IS NULL AND k.holder = $6 AND k.request_hash = $3)
     RETURNING 1`,
    [scope, key, requestHash, IDEMPOTENCY_TTL_HOURS, ABANDONED_AFTER_S, k.holder],
  );
  if (rows.length > 0) return { kind: 'claimed' };
  return readIdempotencyKey(db, scope, key, requestHash);
}

/** Where a key held by another request stands, for a request with `requestHash`; takes nothing. */
export async function readIdempotencyKey(db: Pick<Db, 'query'>, scope: string, key: string, requestHash: string): Promise<Exclude<Claim, { kind: 'claimed' }>> {
  const held = (await db.query('SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key])).rows[0];
  // None: released by a failing request, or not yet written by this process's first request. Either way not done: retry.
  if (!held) return { kind: 'in_progress' };
  if (held.request_hash !== requestHash) return { kind: 'mismatch' };
  if (held.status_code === null) return { kind: 'in_progress' };
  return { kind: 'replay', status: held.status_code, body: held.response };
}

export async function completeIdempotencyKey(db: Pick<Db, 'query'>, scope: string, key: string, status: number, body: unknown): Promise<void> {
  await db.query('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2', [
    scope,
    key,
    status,
    JSON.stringify(body ?? null),
  ]);
}

/** A request that failed keeps no answer: the client may retry with the same key. */
export async function releaseIdempotencyKey(db: Pick<Db, 'query'>, scope: string, key: string): Promise<void> {
  await db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL', [scope, key]);
}

/** Expired answers; called now and then so the table stays the size of one day of creates. */
export async function purgeIdempotencyKeys(db: Pick<Db, 'query'>): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)', [IDEMPOTENCY_TTL_HOURS]);
  return rowCount ?? 0;
}
