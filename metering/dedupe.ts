import { z } from 'zod';
import { MAX_QUERY_BYTES, chInt, chText, textOf, type MeteringStore, type RawRow } from '../platform/clickhouse';
import type { EventRow } from './events';
import { toNano } from './decimal';

export const pairKey = (accountId: string, eventId: string): string => `${accountId}\u0000${eventId}`;

// ClickHouse parses at most max_query_size of a query (raised by the store, see MAX_QUERY_BYTES):
// a group of 20,000 ids of up to 200 characters can be 10 MiB of IN lists. Each query costs a
// round trip and a fixed share of the server's time, so a group is one chunk unless its ids are long.
const MAX_LOOKUP_CHARS = MAX_QUERY_BYTES / 2;

/** Splits rows (sorted by account) into chunks whose IN lists stay well under max_query_size. */
export function lookupChunks<R extends { account_id: string; event_id: string }>(rows: readonly R[]): R[][] {
  const sorted = [...rows].sort((a, b) => (a.account_id < b.account_id ? -1 : a.account_id > b.account_id ? 1 : 0));
  const chunks: R[][] = [];
  let current: R[] = [];
  let size = 0;
  for (const row of sorted) {
    // Quoted, escaped and in UTF-8, a string literal takes at most 3 bytes per UTF-16 unit
    // (an escaped ASCII character 2) plus quotes and a comma.
    const cost = 3 * (row.account_id.length + row.event_id.length) + 8;
    if (current.length > 0 && size + cost > MAX_LOOKUP_CHARS) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An event as the raw table holds it (the first one sent with its id). */
const storedEventRow = z.object({ account_id: chText, event_id: chText, app_id: chText, meter: chText, ts: chInt, value: chText });
export type StoredEvent = z.infer<typeof storedEventRow>;

/** An (account, event id) key: one per candidate of an ingest group, so a light mapper, not zod. */
export const readEventKey = (r: RawRow): { account_id: string; event_id: string } => ({ account_id: textOf(r.account_id), event_id: textOf(r.event_id) });

/** An IN-list condition on the raw table's key for these rows (a superset: a cross product). */
const keyParams = (chunk: readonly { account_id: string; event_id: string }[]) => ({
  accounts: [...new Set(chunk.map((r) => r.account_id))],
  ids: [...new Set(chunk.map((r) => r.event_id))],
});
const KEY_WHERE = 'account_id IN {accounts:InList(String)} AND event_id IN {ids:InList(String)} AND timestamp >= {since:DateTime}';

/**
 * Which of these (account, id) pairs are already stored with a timestamp at or after `since`
 * (unix seconds), with the stored events. The raw table is ordered by (account_id, event_id),
 * so this is a primary-key lookup, and partitioned by month, so the time bound skips the months
 * before the window. It reads only the key columns of every candidate, and whole rows only for
 * the pairs found (rare: retries). The raw table is the same insert as the data: whatever was
 * written, even by a request that then failed, is seen here.
 */
export const findStored =
  (store: MeteringStore) =>
  async (rows: readonly EventRow[], since: number): Promise<Map<string, StoredEvent>> => {
    const asked = new Set(rows.map((r) => pairKey(r.account_id, r.event_id)));
    const hits: { account_id: string; event_id: string }[] = [];
    for (const chunk of lookupChunks(rows)) {
      const found = await store.query(
        `SELECT account_id, event_id FROM {db:Identifier}.usage_events WHERE ${KEY_WHERE}`,
        { ...keyParams(chunk), since },
        readEventKey,
      );
      // The two IN lists select a superset; keep only the exact pairs asked for.
      hits.push(...found.filter((f) => asked.has(pairKey(f.account_id, f.event_id))));
    }
    const stored = new Map<string, StoredEvent>();
    for (const chunk of hits.length > 0 ? lookupChunks(hits) : []) {
      const found = await store.query(
        `SELECT account_id, event_id, app_id, meter, toUInt32(timestamp) AS ts, toString(value) AS value
       FROM {db:Identifier}.usage_events WHERE ${KEY_WHERE}`,
        { ...keyParams(chunk), since },
        storedEventRow,
      );
      for (const f of found) {
        const key = pairKey(f.account_id, f.event_id);
        if (asked.has(key)) stored.set(key, f);
      }
    }
    return stored;
  };

/** The fields of an event that differ from the one first received with its id (API names). */
export function differences(sent: EventRow, first: StoredEvent | EventRow): string[] {
  const firstTs = 'ts' in first ? first.ts : first.timestamp;
  const diff: string[] = [];
  if (sent.meter !== first.meter) diff.push(`meter (first ${first.meter}, now ${sent.meter})`);
  if (toNano(sent.value) !== toNano(first.value)) diff.push(`value (first ${numberOf(first.value)}, now ${sent.value})`);
  if (sent.timestamp !== firstTs) diff.push(`timestamp (first ${isoOf(firstTs)}, now ${isoOf(sent.timestamp)})`);
  if (sent.app_id !== first.app_id) diff.push(`appId (first ${first.app_id || 'none'}, now ${sent.app_id || 'none'})`);
  return diff;
}

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
// 18.16 prints a Decimal with all nine places: show the shortest form, as the client sent it.
const numberOf = (value: string) => (value.includes('.') ? value.replace(/\.?0+$/, '') : value);
