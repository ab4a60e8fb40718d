import type { Db } from '../platform/pg';
import { hashSecret, newId, newSecret } from '../platform/ids';

export type KeyKind = 'account' | 'app_secret' | 'service';

export interface KeyRow {
  id: string;
  kind: KeyKind;
  account_id: string | null;
  app_id: string | null;
  scopes: string[];
}

const PREFIX: Record<KeyKind, string> = { account: 'tb_acct', app_secret: 'tb_sk', service: 'tb_svc' };

/** Creates a key and returns it in clear exactly once; only its hash is stored. */
export async function createKey(
  db: Pick<Db, 'query'>,
  input: { kind: KeyKind; name?: string; accountId?: string; appId?: string; scopes?: string[] },
): Promise<{ id: string; key: string }> {
  const id = newId('key');
  const key = newSecret(PREFIX[input.kind]);
  await db.query(
    `INSERT INTO api_keys (id, kind, key_hash, prefix, name, account_id, app_id, scopes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, input.kind, hashSecret(key), key.slice(0, 12), input.name ?? '', input.accountId ?? null, input.appId ?? null, input.scopes ?? []],
  );
  return { id, key };
}

export async function findActiveKey(db: Db, key: string): Promise<KeyRow | undefined> {
  const { rows } = await db.query<KeyRow>('SELECT id, kind, account_id, app_id, scopes FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [
    hashSecret(key),
  ]);
  return rows[0];
}

export async function revokeKey(db: Db, id: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (rowCount ?? 0) > 0;
}
