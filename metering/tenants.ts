import type { Db } from '../platform/pg';

// Accounts and apps are never deleted, so a positive answer can be cached; a negative one is
// not (the account may be created a moment later).
const TTL_MS = 60_000;

/** Which accounts exist and which app belongs to which account, for validating usage events. */
export function createTenantDirectory(db: Db) {
  const accounts = new Map<string, number>();
  const apps = new Map<string, { accountId: string; until: number }>();

  return {
    async knownAccounts(ids: readonly string[]): Promise<Set<string>> {
      const now = Date.now();
      const missing = ids.filter((id) => (accounts.get(id) ?? 0) < now);
      if (missing.length > 0) {
        const { rows } = await db.query<{ id: string }>('SELECT id FROM accounts WHERE id = ANY($1)', [missing]);
        for (const r of rows) accounts.set(r.id, now + TTL_MS);
      }
      return new Set(ids.filter((id) => (accounts.get(id) ?? 0) >= now));
    },
    async appOwners(ids: readonly string[]): Promise<Map<string, string>> {
      const now = Date.now();
      const missing = ids.filter((id) => (apps.get(id)?.until ?? 0) < now);
      if (missing.length > 0) {
        const { rows } = await db.query<{ id: string; account_id: string }>('SELECT id, account_id FROM apps WHERE id = ANY($1)', [missing]);
        for (const r of rows) apps.set(r.id, { accountId: r.account_id, until: now + TTL_MS });
      }
      return new Map(ids.flatMap((id) => { const a = apps.get(id); return a && a.until >= now ? [[id, a.accountId]] : []; }));
    },
  };
}
