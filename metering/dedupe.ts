import type { MeteringStore } from '../platform/clickhouse';
import type { EventRow } from './events';

export const pairKey = (accountId: string, eventId: string): string => `${accountId}\u0000${eventId}`;

/**
 * Which of these (account, id) pairs are already stored. The raw table is ordered by
 * (account_id, event_id), so this is a primary-key lookup, and the raw table is the same
 * insert as the data: whatever was written, even by a request that then failed, is seen here.
 */
export const findStored = (store: MeteringStore) => async (rows: readonly EventRow[]): Promise<Set<string>> => {
  if (rows.length === 0) return new Set();
  const accounts = [...new Set(rows.map((r) => r.account_id))];
  const ids = [...new Set(rows.map((r) => r.event_id))];
  const found = await store.query<{ account_id: string; event_id: string }>(
    `SELECT account_id, event_id FROM {db:Identifier}.usage_events
     WHERE account_id IN {accounts:InList(String)} AND event_id IN {ids:InList(String)}`,
    { accounts, ids },
  );
  // The two IN lists select a superset (a cross product); keep only the exact pairs asked for.
  const asked = new Set(rows.map((r) => pairKey(r.account_id, r.event_id)));
  return new Set(found.map((f) => pairKey(f.account_id, f.event_id)).filter((k) => asked.has(k)));
};

/** First occurrence wins inside one batch; later copies of the same (account, id) are duplicates. */
export function splitBatchDuplicates(rows: readonly EventRow[]): { unique: EventRow[]; duplicates: number } {
  const seen = new Set<string>();
  const unique: EventRow[] = [];
  for (const row of rows) {
    const key = pairKey(row.account_id, row.event_id);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(row);
  }
  return { unique, duplicates: rows.length - unique.length };
}
