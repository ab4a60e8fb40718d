import type { Db } from '../platform/pg';
import { writeCarves, type Carve } from './limit-ledger';

/** A reservation admitted in memory; once in Postgres, `xid` is the transaction that wrote it. */
export interface PendingCarve extends Carve {
  writtenAt?: number;
  xid?: string;
}

interface LeaseReturn {
  id: string;
  done: () => void;
  failed: (err: unknown) => void;
}

/**
 * Write-behind for reservations admitted from memory: whatever accumulates over 20 ms goes to Postgres in one transaction (limit-ledger.ts writeCarves). One writer per
 * process, so a lease is returned only after every reservation carved from it is written.
 * A failed write keeps its carves queued (they stay counted in this process) and is retried.
 */
export function createCarveWriter(db: Db, opts: { delayMs?: number; retryMs?: number } = {}) {
  const delayMs = opts.delayMs ?? 20;
  const retryMs = opts.retryMs ?? 200;
  let carves: PendingCarve[] = [];
  let returns: LeaseReturn[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let writes = 0;

  function schedule(ms: number): void {
    if (!timer && !writing)
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, ms);
  }

  async function flush(): Promise<void> {
    if (writing) return writing;
    const batch = carves;
    const leaseReturns = returns;
    if (batch.length === 0 && leaseReturns.length === 0) return;
    carves = [];
    returns = [];
    writing = (async () => {
      let failed = false;
      try {
        const xid = await writeCarves(
          db,
          batch,
          leaseReturns.map((r) => r.id),
        );
        const at = Date.now();
        for (const c of batch) {
          c.writtenAt = at;
          c.xid = xid;
        }
        writes++;
        for (const r of leaseReturns) r.done();
      } catch (err) {
        failed = true;
        carves = [...batch, ...carves];
        // The lease stays this process's; the caller that wanted it back learns why not.
        for (const r of leaseReturns) r.failed(err);
      } finally {
        writing = undefined;
      }
      if (carves.length > 0 || returns.length > 0) schedule(failed ? retryMs : returns.length > 0 ? 0 : delayMs);
    })();
    return writing;
  }

  return {
    /** How many writes have completed: carves' `xid`s change only when this does. */
    writes: () => writes,
    add(carve: PendingCarve): void {
      carves.push(carve);
      schedule(delayMs);
    },
    /** Writes what is queued, then gives the lease's unused allowance back. */
    returnLease(id: string): Promise<void> {
      return new Promise((done, failed) => {
        returns.push({ id, done, failed });
        schedule(0);
      });
    },
    /** Resolves once everything queued before the call is written (or has failed once). */
    async drain(): Promise<void> {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (writing) await writing;
      await flush();
    },
  };
}

export type CarveWriter = ReturnType<typeof createCarveWriter>;
