import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite is one Postgres session; the socket server shares it between connections through a
 * queue of single protocol messages, pinned to one connection only while a transaction is
 * open. That is not enough (electric-sql/pglite#1046, still open in 0.2.17):
 *
 * - an extended-protocol batch (Parse, Bind, Describe, Execute ... Sync) is outside any
 *   transaction between its messages, so another connection's Parse, or a whole transaction of
 *   another connection, lands between its Parse and its Bind and replaces the session's unnamed
 *   statement. The batch then binds against someone else's query: "malformed array literal",
 *   "prepared statement requires 2 parameters", or silently the wrong rows;
 * - a message that throws inside PGlite leaves the queue marked busy, so every later query
 *   waits forever.
 *
 * The fix keeps the queue and changes its rule: the connection that sent the last message keeps
 * the session until its batch reaches Sync (or a simple Query) and no transaction is open; a
 * failing message is answered with its error and the queue goes on. This replaces the queue's
 * scheduling method on the server instance (the queue class is not exported); the package is
 * pinned to an exact version, and test/embedded-postgres.test.ts fails if the rule is lost.
 */

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(err: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

// Frontend messages that leave an extended-protocol batch open: Parse, Bind, Describe, Execute,
// Close, Flush. Sync ends a batch; a simple Query is a batch by itself.
const BATCH_OPENERS = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

export function keepProtocolBatchesWhole(server: PGLiteSocketServer, db: PGlite): void {
  const q = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!q || !Array.isArray(q.queue) || typeof q.processQueue !== 'function' || typeof q.clearTransactionIfNeeded !== 'function') {
    throw new Error('@electric-sql/pglite-socket changed its query queue; review embedded/pglite-batches.ts');
  }
  let batchOpen = false;

  q.processQueue = async () => {
    if (q.processing) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const pinned = q.lastHandlerId !== null && (batchOpen || db.isInTransaction());
        const at = pinned ? q.queue.findIndex((m) => m.handlerId === q.lastHandlerId) : 0;
        if (at === -1) break; // the owner's next message will start the queue again
        const item = q.queue.splice(at, 1)[0]!;
        q.lastHandlerId = item.handlerId;
        let bytes = 0;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          batchOpen = false;
          item.reject(err);
          continue;
        }
        batchOpen = BATCH_OPENERS.has(item.message[0]!);
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };

  // A connection that goes away mid-batch must not keep the session pinned.
  const clearTransaction = q.clearTransactionIfNeeded.bind(q);
  q.clearTransactionIfNeeded = async (handlerId) => {
    await clearTransaction(handlerId);
    if (q.lastHandlerId === handlerId) {
      batchOpen = false;
      q.lastHandlerId = null;
    }
    await q.processQueue();
  };
}
