import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { checkEvent, type EventRow, type Rejection } from './events';
import { findStored, pairKey, splitBatchDuplicates } from './dedupe';
import { createGroupWriter } from './group-commit';
import { repairRollups } from './rollup-repair';
import { rollUpGauges } from './gauge-rollup';
import { createTenantDirectory } from './tenants';
import { settleByEvents } from './limit-ledger';

/** Reservation ids (`rsv_...`) double as the id of the usage event that settles them. */
const RESERVATION_PREFIX = 'rsv_';

export interface IngestResult { accepted: number; duplicates: number; rejected: Rejection[] }

/** JSONEachRow written by hand so each value reaches Decimal(38, 9) as its exact digits. */
const payloadOf = (rows: readonly EventRow[]): string =>
  rows.map((r) =>
    `{"account_id":${JSON.stringify(r.account_id)},"event_id":${JSON.stringify(r.event_id)},"app_id":${JSON.stringify(r.app_id)},` +
    `"meter":"${r.meter}","value":${r.value},"timestamp":${r.timestamp},"received_at":${r.received_at}}`).join('\n');

/**
 * Exactly-once ingestion. Concurrent batches of this process are written as one group
 * (group-commit.ts); for the group's accounts a Postgres advisory lock, shared by every API
 * process, is held while the raw table is asked which ids it already has and only the others
 * are inserted. The check and the insert see the same table, so
 * a retry after any failure, a duplicate in the batch, or the same id sent to two processes at
 * once is counted once. If ClickHouse fails, the batch answers 503 and nothing was acknowledged;
 * its retry completes any rollup a crash left behind (rollup-repair.ts).
 */
export function createIngestor(deps: { db: Db; store: MeteringStore; now?: () => number }) {
  const tenants = createTenantDirectory(deps.db);
  const stored = findStored(deps.store);
  const repair = repairRollups(deps.store);
  const now = deps.now ?? Date.now;

  /** One group at a time per process; the advisory locks order groups of different processes. */
  const writer = createGroupWriter(async (rows) => {
    const accounts = [...new Set(rows.map((r) => r.account_id))].sort();
    return inTransaction(deps.db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtext(a) AS h FROM unnest($1::text[]) a ORDER BY 1) s', [accounts]);
      const already = await stored(rows);
      const fresh = rows.filter((r) => !already.has(pairKey(r.account_id, r.event_id)));
      // A retry after a crash may find its events stored but not rolled up: complete them.
      if (already.size > 0) await repair([...already.values()]);
      await deps.store.insert('usage_events', payloadOf(fresh));
      await rollUpGauges(deps.store)(fresh); // a gauge bucket is recomputed from all its readings
      await settleByEvents(tx, fresh.filter((r) => r.event_id.startsWith(RESERVATION_PREFIX)).map((r) => ({ accountId: r.account_id, eventId: r.event_id })));
      return new Set(fresh.map((r) => pairKey(r.account_id, r.event_id)));
    });
  });

  async function admitTenants(rows: EventRow[], indexes: number[], rejected: Rejection[]): Promise<EventRow[]> {
    const accounts = await tenants.knownAccounts([...new Set(rows.map((r) => r.account_id))]);
    const owners = await tenants.appOwners([...new Set(rows.map((r) => r.app_id).filter(Boolean))]);
    return rows.filter((r, i) => {
      const index = indexes[i]!;
      if (!accounts.has(r.account_id)) rejected.push({ index, code: 'unknown_account', message: `accountId ${r.account_id} does not exist` });
      else if (r.app_id && owners.get(r.app_id) !== r.account_id) rejected.push({ index, code: 'unknown_app', message: `appId ${r.app_id} is not an app of account ${r.account_id}` });
      else return true;
      return false;
    });
  }

  return {
    async ingest(events: readonly unknown[]): Promise<IngestResult> {
      const at = now();
      const rejected: Rejection[] = [];
      const valid: EventRow[] = [];
      const indexes: number[] = [];
      events.forEach((e, index) => {
        const checked = checkEvent(e, index, at);
        if (checked.ok) { valid.push(checked.row); indexes.push(index); } else rejected.push(checked.rejection);
      });
      const admitted = await admitTenants(valid, indexes, rejected);
      rejected.sort((a, b) => a.index - b.index);
      const { unique, duplicates: inBatch } = splitBatchDuplicates(admitted);
      if (unique.length === 0) return { accepted: 0, duplicates: inBatch, rejected };

      const written = await writer.write(unique);
      return { accepted: written.accepted, duplicates: inBatch + written.duplicates, rejected };
    },
  };
}

export type Ingestor = ReturnType<typeof createIngestor>;
