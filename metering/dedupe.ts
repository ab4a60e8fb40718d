import type { MeteringStore } from '../platform/clickhouse';
import type { EventRow } from './events';

export const pairKey = (accountId: string, eventId: string): string => `${accountId}\u0000${eventId}`;

// ClickHouse parses at most max_query_size (256 KiB by default) of a query: a batch of 10,000
// ids of up to 200 characters is several MiB of IN lists, so the lookup goes in chunks.
const MAX_LOOKUP_CHARS = 96 * 1024;

/** Splits rows (sorted by account) into chunks whose IN lists stay well under max_query_size. */
export function lookupChunks<R extends { account_id: string; event_id: string }>(rows: readonly R[]): R[][] {
  const sorted = [...rows].sort((a, b) => (a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : 0));
  const chunks: R[][] = [];
  let current: R[] = [];
  let size = 0;
  for (const row of sorted) {
    // Quoted and escaped, a string literal takes at most twice its length plus quotes and a comma.
    const cost = 2 * (row.account_id.length + row.event_id.length) + 8;
    if (current.length > 0 && size + cost > MAX_LOOKUP_CHARS) { chunks.push(current); current = []; size = 0; }
    current.push(row);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An event as the raw table holds it (the first one sent with its id). */
export interface StoredEvent { account_id: string; event_id: string; app_id: string; meter: string; ts: number; value: string }

/**
 * Which of these (account, id) pairs are already stored, with the stored events. The raw table
 * is ordered by (account_id, event_id), so this is a primary-key lookup, and the raw table is the
 * same insert as the data: whatever was written, even by a request that then failed, is seen here.
 */
export const findStored = (store: MeteringStore) => async (rows: readonly EventRow[]): Promise<Map<string, StoredEvent>> => {
  const asked = new Set(rows.map((r) => pairKey(r.account_id, r.event_id)));
  const stored = new Map<string, StoredEvent>();
  for (const chunk of lookupChunks(rows)) {
    const accounts = [...new Set(chunk.map((r) => r.account_id))];
    const ids = [...new Set(chunk.map((r) => r.event_id))];
    const found = await store.query<Omit<StoredEvent, 'ts'> & { ts: number | string }>(
      `SELECT account_id, event_id, app_id, meter, toUInt32(timestamp) AS ts, toString(value) AS value FROM {db:Identifier}.usage_events
       WHERE account_id IN {accounts:InList(String)} AND event_id IN {ids:InList(String)}`,
      { accounts, ids },
    );
    // The two IN lists select a superset (a cross product); keep only the exact pairs asked for.
    for (const f of found) {
      const key = pairKey(f.account_id, f.event_id);
      if (asked.has(key)) stored.set(key, { ...f, ts: Number(f.ts) });
    }
  }
  return stored;
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
