import type { PoolClient } from 'pg';
import { StoreUnavailableError, type MeteringStore } from '../platform/clickhouse';

/**
 * How long a lock holder waits for an ingest insert whose end it cannot observe (ClickHouse
 * running it but not answering, or answering that it still runs). Past this the insert is asked
 * to stop (KILL QUERY) and the lock is released: the one remaining window, see ARCHITECTURE.md.
 */
export const SETTLE_BOUND_MS = 120_000;
const POLL_MS = 25;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every ingest insert carries a query id `<prefix><Postgres txid of the lock holder>-<n>`. */
export const ingestQueryPrefix = (store: MeteringStore): string => `tollbooth-ingest-${store.database}-`;

/**
 * Waits until none of the queries `pick` selects among those running under `prefix` is still
 * running. A refused connection ends the wait: nothing listens there, so nothing of ours runs
 * (a restarted server does not resume queries). Other errors (a timeout) are retried until the bound.
 */
async function awaitEnded(store: MeteringStore, prefix: string, pick: (ids: string[]) => Promise<string[]>, waiting: string[], boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const running = await store.running(prefix).catch((err: unknown) => {
      if (err instanceof StoreUnavailableError && err.refused) return [];
      return undefined; // no answer: still unknown
    });
    if (running) {
      waiting = await pick(running);
      if (waiting.length === 0) return;
    }
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  for (const id of waiting) await store.command(`KILL QUERY WHERE query_id = {id:String} ASYNC`, { id }).catch(() => undefined);
}

/**
 * After an insert failed on the client side (timeout, reset connection), the server may still be
 * running it: the caller keeps the accounts' locks until it has ended, so a retry's lookup sees
 * its rows if it committed.
 */
export const settleFailedInsert = (store: MeteringStore, queryId: string, boundMs = SETTLE_BOUND_MS): Promise<void> =>
  awaitEnded(store, queryId, async (ids) => ids, [queryId], boundMs);

/**
 * Before a lookup: an ingest insert still running whose lock holder's transaction has ended (its
 * API process died, or lost its Postgres connection) may hold any account's events; wait for it.
 * Inserts of live holders hold other accounts' locks (ours are held by us) and are left alone.
 */
export async function awaitOrphanInserts(store: MeteringStore, tx: PoolClient, boundMs = SETTLE_BOUND_MS): Promise<void> {
  const prefix = ingestQueryPrefix(store);
  const orphans = async (ids: string[]): Promise<string[]> => {
    const txids = ids.map((id) => id.slice(prefix.length).split('-')[0]!);
    if (!txids.some((t) => /^\d{1,19}$/.test(t))) return [];
    const { rows } = await tx.query<{ txid: string; status: string | null }>('SELECT t AS txid, txid_status(t::bigint) AS status FROM unnest($1::text[]) t', [
      [...new Set(txids.filter((t) => /^\d{1,19}$/.test(t)))],
    ]);
    const ended = new Set(rows.filter((r) => r.status !== 'in progress').map((r) => r.txid));
    return ids.filter((_, i) => ended.has(txids[i]!));
  };
  // The common case: nothing of ours runs. No answer here is an outage: the lookup would fail too.
  const found = await orphans(await store.running(prefix));
  if (found.length > 0) await awaitEnded(store, prefix, orphans, found, boundMs);
}
