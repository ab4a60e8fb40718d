import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { DEDUPE_WINDOW_DAYS, checkEvent, type EventRow, type Rejection } from './events';
import { findStored, pairKey } from './dedupe';
import { createGroupWriter } from './group-commit';
import { awaitOrphanInserts, ingestQueryPrefix, settleFailedInsert } from './insert-settle';
import { repairRollups } from './rollup-repair';
import { rollUpGauges } from './gauge-rollup';
import { createTenantDirectory } from './tenants';
import { settleByEvents } from './limit-ledger';

/** Reservation ids (`rsv_...`) double as the id of the usage event that settles them. */
const RESERVATION_PREFIX = 'rsv_';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/** JSONEachRow written by hand so each value reaches Decimal(38, 9) as its exact digits. */
const payloadOf = (rows: readonly EventRow[]): string =>
  rows
    .map(
      (r) =>
        `{"account_id":${JSON.stringify(r.account_id)},"event_id":${JSON.stringify(r.event_id)},"app_id":${JSON.stringify(r.app_id)},` +
        `"meter":"${r.meter}","value":${r.value},"timestamp":${r.timestamp},"received_at":${r.received_at}}`,
    )
    .join('\n');

const WINDOW_S = DEDUPE_WINDOW_DAYS * 86_400;
// Accounts hash onto this many advisory locks: a group of 20,000 accounts must not take 20,000
// locks (Postgres' shared lock table holds a few thousand). Sharing a slot only means two
// processes take turns for those accounts.
const LOCK_SLOTS = 1024;
const LOCK_SPACE = 0x7011; // first key of the two-key advisory locks, so other users of advisory locks cannot collide

/**
 * Exactly-once ingestion. Concurrent batches of this process are written as one group
 * (group-commit.ts); for the group's accounts Postgres advisory locks, shared by every API
 * process, are held while the raw table is asked which ids it already has and only the others
 * are inserted. The check and the insert see the same table, so
 * a retry after any failure, a duplicate in the batch, or the same id sent to two processes at
 * once is counted once. If ClickHouse fails, the batch answers 503 and nothing was acknowledged;
 * the locks are held until that insert has ended on the server (insert-settle.ts), and the
 * retry completes any rollup a crash left behind (rollup-repair.ts).
 */
export function createIngestor(deps: { db: Db; store: MeteringStore; now?: () => number }) {
  const tenants = createTenantDirectory(deps.db);
  const stored = findStored(deps.store);
  const repair = repairRollups(deps.store);
  const now = deps.now ?? Date.now;
  const queryPrefix = ingestQueryPrefix(deps.store);
  let inserts = 0;

  /** One group at a time per process; the advisory locks order groups of different processes. */
  const writer = createGroupWriter(async (rows) => {
    const accounts = [...new Set(rows.map((r) => r.account_id))];
    // Every row was validated against a clock at most its received_at: an identical earlier copy
    // has a timestamp at or after that minus the window, so the lookup need not look further back.
    const since = rows.reduce((min, r) => Math.min(min, r.received_at), Infinity) - WINDOW_S;
    return inTransaction(deps.db, async (tx) => {
      const {
        rows: [lock],
      } = await tx.query<{ txid: string }>(
        `SELECT txid_current()::text AS txid, (SELECT count(pg_advisory_xact_lock($2, h)) FROM
           (SELECT DISTINCT hashtext(a) & ($3 - 1) AS h FROM unnest($1::text[]) a ORDER BY 1) s) AS locks`,
        [accounts, LOCK_SPACE, LOCK_SLOTS],
      );
      await awaitOrphanInserts(deps.store, tx);
      const already = await stored(rows, since);
      const fresh = rows.filter((r) => !already.has(pairKey(r.account_id, r.event_id)));
      // A retry after a crash may find its events stored but not rolled up: complete them.
      if (already.size > 0) await repair([...already.values()]);
      const queryId = `${queryPrefix}${lock!.txid}-${inserts++}`;
      await deps.store.insert('usage_events', payloadOf(fresh), { queryId }).catch(async (err: unknown) => {
        await settleFailedInsert(deps.store, queryId);
        throw err;
      });
      await rollUpGauges(deps.store)(fresh); // a gauge bucket is recomputed from all its readings
      await settleByEvents(
        tx,
        fresh.filter((r) => r.event_id.startsWith(RESERVATION_PREFIX)).map((r) => ({ accountId: r.account_id, eventId: r.event_id })),
      );
      return { inserted: new Set(fresh.map((r) => pairKey(r.account_id, r.event_id))), stored: already };
    });
  });

  async function admitTenants(rows: EventRow[], indexes: number[], rejected: Rejection[]): Promise<{ rows: EventRow[]; indexes: number[] }> {
    const accounts = await tenants.knownAccounts([...new Set(rows.map((r) => r.account_id))]);
    const owners = await tenants.appOwners([...new Set(rows.map((r) => r.app_id).filter(Boolean))]);
    const admitted: EventRow[] = [];
    const at: number[] = [];
    rows.forEach((r, i) => {
      const index = indexes[i]!;
      if (!accounts.has(r.account_id)) rejected.push({ index, code: 'unknown_account', message: `accountId ${r.account_id} does not exist` });
      else if (r.app_id && owners.get(r.app_id) !== r.account_id)
        rejected.push({ index, code: 'unknown_app', message: `appId ${r.app_id} is not an app of account ${r.account_id}` });
      else {
        admitted.push(r);
        at.push(index);
      }
    });
    return { rows: admitted, indexes: at };
  }

  return {
    async ingest(events: readonly unknown[]): Promise<IngestResult> {
      const at = now();
      const rejected: Rejection[] = [];
      const valid: EventRow[] = [];
      const indexes: number[] = [];
      events.forEach((e, index) => {
        const checked = checkEvent(e, index, at);
        if (checked.ok) {
          valid.push(checked.row);
          indexes.push(index);
        } else rejected.push(checked.rejection);
      });
      const admitted = await admitTenants(valid, indexes, rejected);
      const outcomes = await writer.write(admitted.rows);
      let accepted = 0;
      let duplicates = 0;
      outcomes.forEach((o, i) => {
        if (o.kind === 'accepted') accepted++;
        else if (o.kind === 'duplicate') duplicates++;
        else rejected.push({ index: admitted.indexes[i]!, code: 'conflict', message: o.message });
      });
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, duplicates, rejected };
    },
  };
}

export type Ingestor = ReturnType<typeof createIngestor>;
