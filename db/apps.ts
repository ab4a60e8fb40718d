import { randomBytes } from 'node:crypto';
import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { newId } from '../platform/ids';
import { createKey } from './keys';

export interface App {
  id: string;
  accountId: string;
  name: string;
  stripeAccountId: string | null;
  chargesEnabled: boolean;
  createdAt: string;
}

interface AppRow {
  id: string;
  account_id: string;
  name: string;
  stripe_account_id: string | null;
  charges_enabled: boolean;
  created_at: Date;
}

const toApp = (r: AppRow): App => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  stripeAccountId: r.stripe_account_id,
  chargesEnabled: r.charges_enabled,
  createdAt: r.created_at.toISOString(),
});

export async function createApp(db: Db, input: { accountId: string; name: string }) {
  return inTransaction(db, async (tx) => {
    const id = newId('app');
    const { rows } = await tx.query<AppRow>('INSERT INTO apps (id, account_id, name) VALUES ($1, $2, $3) RETURNING *', [id, input.accountId, input.name]);
    const secret = await createKey(tx, { kind: 'app_secret', accountId: input.accountId, appId: id, name: 'default' });
    const jwt = await addAppJwtSecret(tx, id);
    return { app: toApp(rows[0]!), secretKey: secret.key, secretKeyId: secret.id, jwtSecret: jwt.jwtSecret, jwtSecretId: jwt.id };
  });
}

/** A new JWT secret for the app, shown once; the existing ones stay valid until revoked. */
export async function addAppJwtSecret(db: Pick<Db, 'query'>, appId: string): Promise<{ id: string; jwtSecret: string }> {
  const id = newId('jwts');
  const jwtSecret = randomBytes(32).toString('base64url');
  await db.query('INSERT INTO app_jwt_secrets (id, app_id, secret) VALUES ($1, $2, $3)', [id, appId, jwtSecret]);
  return { id, jwtSecret };
}

export async function revokeAppJwtSecret(db: Pick<Db, 'query'>, appId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE app_jwt_secrets SET revoked_at = now() WHERE app_id = $1 AND id = $2 AND revoked_at IS NULL', [appId, id]);
  return (rowCount ?? 0) > 0;
}

export async function getApp(db: Db, id: string): Promise<App | undefined> {
  const { rows } = await db.query<AppRow>('SELECT * FROM apps WHERE id = $1', [id]);
  return rows[0] && toApp(rows[0]);
}

/** For verifying end-user tokens only (every unrevoked secret); never returned by the API after creation. */
export async function getAppJwtSecrets(db: Db, id: string): Promise<{ accountId: string; jwtSecrets: string[] } | undefined> {
  const { rows } = await db.query<{ account_id: string; secret: string | null }>(
    `SELECT a.account_id, s.secret FROM apps a
     LEFT JOIN app_jwt_secrets s ON s.app_id = a.id AND s.revoked_at IS NULL
     WHERE a.id = $1 ORDER BY s.created_at DESC`,
    [id],
  );
  return rows[0] && { accountId: rows[0].account_id, jwtSecrets: rows.flatMap((r) => (r.secret ? [r.secret] : [])) };
}

/**
 * Stores the app's connected account once. A second call (a retried activity) keeps the first
 * value: one app, one connected account. Returns the stored id.
 */
export async function setAppStripeAccount(db: Pick<Db, 'query'>, appId: string, stripeAccountId: string): Promise<string | null> {
  const { rows } = await db.query<{ stripe_account_id: string | null }>(
    `UPDATE apps SET stripe_account_id = coalesce(stripe_account_id, $2) WHERE id = $1 RETURNING stripe_account_id`,
    [appId, stripeAccountId],
  );
  return rows[0]?.stripe_account_id ?? null;
}

/** Which app a Connect event belongs to: its `account`, and nothing else. */
export async function appIdOfStripeAccount(db: Pick<Db, 'query'>, stripeAccountId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM apps WHERE stripe_account_id = $1', [stripeAccountId]);
  return rows[0]?.id;
}

/**
 * `account.updated` of an app's connected account: whether it may take payments follows the
 * newest event (Stripe `created`); an older one arriving late changes nothing. False when the
 * account is not an app's or the event is stale.
 */
export async function applyAccountCapability(db: Pick<Db, 'query'>, stripeAccountId: string, chargesEnabled: boolean, eventCreated: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE apps SET charges_enabled = $2, account_event_created = $3 WHERE stripe_account_id = $1 AND account_event_created <= $3`,
    [stripeAccountId, chargesEnabled, eventCreated],
  );
  return (rowCount ?? 0) > 0;
}
