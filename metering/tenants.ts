import { LRUCache } from 'lru-cache';
import type { Db } from '../platform/pg';

// Accounts and apps are never deleted, so a positive answer can be cached; a negative one is
// not (the account may be created a moment later).
const TTL_MS = 60_000;
// Bounded: a hundred thousand tenants cost a fixed amount of memory (least recently used go first).
const MAX_ENTRIES = 200_000;

/** Which accounts exist and which app belongs to which account, for validating usage events. */
export function createTenantDirectory(db: Db) {
  const accounts = new LRUCache<string, true>({ max: MAX_ENTRIES, ttl: TTL_MS });
  const apps = new LRUCache<string, string>({ max: MAX_ENTRIES, ttl: TTL_MS });

  return {
    async knownAccounts(ids: readonly string[]): Promise<Set<string>> {
      const missing = ids.filter((id) => !accounts.has(id));
      const found = new Set(ids.filter((id) => accounts.has(id)));
      if (missing.length > 0) {
        const { rows } = await db.query<{ id: string }>('SELECT id FROM accounts WHERE id = ANY($1)', [missing]);
        for (const r of rows) {
          accounts.set(r.id, true);
          found.add(r.id);
        }
      }
      return found;
    },
    async appOwners(ids: readonly string[]): Promise<Map<string, string>> {
      const owners = new Map(
        ids.flatMap((id) => {
          const a = apps.get(id);
          return a ? [[id, a] as const] : [];
        }),
      );
      const missing = ids.filter((id) => !owners.has(id));
      if (missing.length > 0) {
        const { rows } = await db.query<{ id: string; account_id: string }>('SELECT id, account_id FROM apps WHERE id = ANY($1)', [missing]);
        for (const r of rows) {
          apps.set(r.id, r.account_id);
          owners.set(r.id, r.account_id);
        }
      }
      return owners;
    },
  };
}
