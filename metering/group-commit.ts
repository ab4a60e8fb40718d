import type { EventRow } from './events';
import { pairKey } from './dedupe';

interface Job { rows: EventRow[]; resolve: (r: { accepted: number; duplicates: number }) => void; reject: (err: unknown) => void }

// Bounds one group's lookup and insert; ClickHouse takes 20,000 small rows in one part easily.
const MAX_GROUP_ROWS = 20_000;

/**
 * Group commit: the batches that arrive while one group is being written wait and are then
 * written together, with one lock, one lookup and one insert. Ingestion in this process is thus
 * one writer (nothing to contend for in-process), and throughput grows with concurrency instead
 * of queueing batch by batch on the accounts' locks.
 *
 * `commit` writes rows (unique by account and id) and returns the keys it inserted; the rest
 * were already stored. Within a group, the batch that arrived first owns a repeated id.
 */
export function createGroupWriter(commit: (rows: EventRow[]) => Promise<Set<string>>) {
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
      const seen = new Set<string>();
      const owned = group.map((job) => job.rows.filter((r) => {
        const key = pairKey(r.account_id, r.event_id);
        return seen.has(key) ? false : (seen.add(key), true);
      }));
      try {
        const inserted = await commit(owned.flat());
        group.forEach((job, i) => {
          const accepted = owned[i]!.filter((r) => inserted.has(pairKey(r.account_id, r.event_id))).length;
          job.resolve({ accepted, duplicates: job.rows.length - accepted });
        });
      } catch (err) {
        for (const job of group) job.reject(err);
      }
    }
    flushing = false;
  }

  return {
    write(rows: EventRow[]): Promise<{ accepted: number; duplicates: number }> {
      if (rows.length === 0) return Promise.resolve({ accepted: 0, duplicates: 0 });
      return new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}
