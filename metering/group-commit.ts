import type { EventRow } from './events';
import { differences, pairKey, type StoredEvent } from './dedupe';

/** What became of one event: counted now, already counted (same payload), or refused (another payload). */
export type Outcome = { kind: 'accepted' } | { kind: 'duplicate' } | { kind: 'conflict'; message: string };

/** What a commit did: the keys it inserted, and the stored event of each key it found already there. */
export interface Committed {
  inserted: Set<string>;
  stored: Map<string, StoredEvent>;
}

interface Job {
  rows: EventRow[];
  resolve: (r: Outcome[]) => void;
  reject: (err: unknown) => void;
}

// Bounds one group's lookup and insert; ClickHouse takes 20,000 small rows in one part easily.
const MAX_GROUP_ROWS = 20_000;

const ACCEPTED: Outcome = { kind: 'accepted' };
const DUPLICATE: Outcome = { kind: 'duplicate' };

/**
 * Group commit: the batches that arrive while one group is being written wait and are then
 * written together, with one lock, one lookup and one insert. Ingestion in this process is thus
 * one writer (nothing to contend for in-process), and throughput grows with concurrency instead
 * of queueing batch by batch on the accounts' locks.
 *
 * `commit` writes rows (unique by account and id) and says which it inserted; the rest were
 * already stored. Within a group (and within a batch) the copy that arrived first owns a repeated
 * id. Every other copy is a duplicate when its payload equals the first one's, else a conflict.
 */
export function createGroupWriter(commit: (rows: EventRow[]) => Promise<Committed>) {
  const queue: Job[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const group: Job[] = [queue.shift()!];
      let size = group[0]!.rows.length;
      while (queue.length > 0 && size + queue[0]!.rows.length <= MAX_GROUP_ROWS) {
        size += queue[0]!.rows.length;
        group.push(queue.shift()!);
      }
      const owners = new Map<string, EventRow>();
      for (const job of group) for (const r of job.rows) if (!owners.has(pairKey(r.account_id, r.event_id))) owners.set(pairKey(r.account_id, r.event_id), r);
      try {
        const { inserted, stored } = await commit([...owners.values()]);
        for (const job of group) {
          job.resolve(
            job.rows.map((r) => {
              const key = pairKey(r.account_id, r.event_id);
              const first = stored.get(key) ?? owners.get(key)!;
              if (first === r) return inserted.has(key) ? ACCEPTED : DUPLICATE;
              const diff = differences(r, first);
              return diff.length === 0 ? DUPLICATE : { kind: 'conflict', message: `id already received with another payload: ${diff.join('; ')}` };
            }),
          );
        }
      } catch (err) {
        for (const job of group) job.reject(err);
      }
    }
    flushing = false;
  }

  return {
    /** One outcome per row, in order. */
    write(rows: EventRow[]): Promise<Outcome[]> {
      if (rows.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}
