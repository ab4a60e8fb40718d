import type { MeteringStore } from '../../platform/clickhouse';
import { createUsageView, type UsageView } from '../../metering/usage-view';
import type { AccountPeriod } from '../../metering/metered-usage';
import { startTestStack, type TestStack } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { ingestOk, newTenant } from '../helpers/metering';
import { usageEvent } from '../helpers/factories';

/**
 * Which accounts the background refresh re-reads: those checked since their last read, never
 * every account checked in the last minute. An account checked less often than a snapshot
 * lives costs one read per check, not four a second.
 */
describe('usage view refresh', () => {
  let stack: TestStack;
  let view: UsageView | undefined;
  beforeAll(async () => {
    stack = await startTestStack({ backend: 'clickhouse' });
  });
  afterAll(async () => {
    view?.close();
    await stack?.close();
  });

  // A period wide enough to hold every event of the test, whatever today's date.
  const period = (accountId: string): AccountPeriod => ({ accountId, start: new Date(Date.UTC(2020, 0, 1)), end: new Date(Date.UTC(2100, 0, 1)) });

  /** The real store, counting every account a metered-usage query reads. */
  const countingStore = () => {
    const reads = new Map<string, number>();
    const store: MeteringStore = Object.create(stack.deps.store);
    store.query = (sql, params, rows) => {
      for (const id of (params.accounts as string[] | undefined) ?? []) if (sql.includes('usage_counters_15m')) reads.set(id, (reads.get(id) ?? 0) + 1);
      return stack.deps.store.query(sql, params, rows);
    };
    return { reads, store };
  };

  it('re-reads an account only once it is checked again', async () => {
    const { reads, store } = countingStore();
    const [quiet, again, busy] = await Promise.all([newTenant(stack), newTenant(stack), newTenant(stack)]);
    // Snapshots live a minute here, so no check below waits for a read: only the refresh reads.
    // No read-ahead: only what checks ask for is re-read (readAhead bounds what is read beyond).
    view = createUsageView({ db: stack.deps.db, store }, { refreshMs: 20, maxLagMs: 60_000, readAhead: 0 });
    for (const t of [quiet, again, busy]) await view.snapshot(period(t.accountId));
    const readsOf = (t: { accountId: string }) => reads.get(t.accountId) ?? 0;
    expect([readsOf(quiet), readsOf(again)]).toEqual([1, 1]);

    // An account checked all along is re-read round after round; the others meanwhile never.
    const busyBefore = readsOf(busy);
    await eventually('the busy account re-read by the refresh', async () => {
      await view!.snapshot(period(busy.accountId));
      return readsOf(busy) >= busyBefore + 3;
    });
    expect([readsOf(quiet), readsOf(again)]).toEqual([1, 1]);

    // Checked again: the next rounds read it, with what was ingested meanwhile.
    await ingestOk(stack, [usageEvent(again.accountId, 'later', { value: 7 })]);
    await view.snapshot(period(again.accountId));
    await eventually('the checked account re-read', async () => (view!.peek(again.accountId)?.metered.ai_tokens ?? 0n) === 7_000_000_000n);
    expect(readsOf(again)).toBeGreaterThan(1);
    expect(readsOf(quiet)).toBe(1);
  });

  it('reads ahead the most recently checked idle accounts, as many as allowed', async () => {
    const { reads, store } = countingStore();
    const [older, newer] = await Promise.all([newTenant(stack), newTenant(stack)]);
    const ahead = createUsageView({ db: stack.deps.db, store }, { refreshMs: 20, maxLagMs: 60_000, readAhead: 1 });
    try {
      await ahead.snapshot(period(older.accountId));
      await new Promise((r) => setTimeout(r, 5)); // a later check, by the millisecond clock
      await ahead.snapshot(period(newer.accountId));
      // Rounds do not overlap and a read is counted when sent: once a round has read the newer
      // account, no round that chose the older one (while the newer was still loading) is left.
      await eventually('the newer account read ahead', async () => (reads.get(newer.accountId) ?? 0) >= 2);
      const olderReads = reads.get(older.accountId);
      await eventually('the newer account read ahead again', async () => (reads.get(newer.accountId) ?? 0) >= 5);
      expect(reads.get(older.accountId)).toBe(olderReads);
    } finally {
      ahead.close();
    }
  });
});
