import { chInt, createHttpStore, type MeteringStore } from '../../platform/clickhouse';
import { createIngestor } from '../../metering/ingest';
import { ingestQueryPrefix } from '../../metering/insert-settle';
import { startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { newTenant, onCluster, postEvents, sleep, type Tenant } from '../helpers/metering';
import { z } from 'zod';

/**
 * An insert that outlives the client's timeout, or whose API process died, may still commit on
 * the server afterwards. A retry must not insert the events again meanwhile: the lock holder waits
 * for its timed-out insert to end before releasing the accounts' locks, and the next holder waits
 * for inserts whose holder is gone. A column computed with sleep() makes every insert slow.
 *
 * Debian's ClickHouse server only: chDB runs the insert inside the API process, which cannot
 * outlive it or time out on it.
 */
const SLOW_S = 2;
const N = 30;

// A single server only: the slow column it adds has no cluster form.
(onCluster ? describe.skip : describe)('slow inserts and retries (clickhouse)', () => {
  let stack: TestStack;
  let t: Tenant;
  const stores: MeteringStore[] = [];
  beforeAll(async () => {
    stack = await startTestStack({ backend: 'clickhouse' });
    t = await newTenant(stack);
    // Computed for every inserted block before the part is written: each insert takes SLOW_S.
    await stack.deps.store.command(`ALTER TABLE {db:Identifier}.usage_events ADD COLUMN slow UInt8 MATERIALIZED sleep(${SLOW_S})`);
  }, 90_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await stack?.close();
  });

  const events = (prefix: string) => {
    const timestamp = new Date(Date.now() - 60_000).toISOString();
    return Array.from({ length: N }, (_, i) => usageEvent(t.accountId, `${prefix}-${i}`, { value: i + 1, timestamp }));
  };
  const stored = async (prefix: string) => {
    const [row] = await stack.deps.store.query(
      'SELECT toString(count()) AS n FROM {db:Identifier}.usage_events WHERE account_id = {a:String} AND event_id LIKE {p:String}',
      { a: t.accountId, p: `${prefix}-%` },
      z.object({ n: chInt }),
    );
    return row!.n;
  };

  it('keeps the locks until a timed-out insert has ended, so the retry finds its rows', async () => {
    const impatient = createHttpStore(stack.config.CLICKHOUSE_URL!, stack.config.CLICKHOUSE_DATABASE, { requestTimeoutMs: 300 });
    stores.push(impatient);
    const ingestor = createIngestor({ db: stack.deps.db, store: impatient });
    const batch = events('timeout');
    const started = Date.now();
    const first = ingestor.ingest(batch).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    await sleep(800); // the client has given up; the server is still inside the insert
    const retry = await postEvents(stack, batch);
    expect(await first).toBe('StoreUnavailableError'); // 503 to its client
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_S * 1000); // it answered only once the insert had ended
    expect(retry.body).toEqual({ accepted: 0, duplicates: N, rejected: [] });
    expect(await stored('timeout')).toBe(N);
  });

  it('waits for an insert whose lock holder is gone before looking up', async () => {
    // An insert of a lock holder whose transaction has ended (its process died mid-insert): its
    // query id names a transaction that committed long ago.
    const {
      rows: [ended],
    } = await stack.deps.db.query<{ txid: string }>('SELECT txid_current()::text AS txid');
    const batch = events('orphan');
    const rows = batch
      .map((e) =>
        JSON.stringify({
          account_id: e.accountId,
          event_id: e.id,
          app_id: '',
          meter: e.meter,
          value: e.value,
          timestamp: Math.floor(Date.parse(e.timestamp) / 1000),
          received_at: Math.floor(Date.now() / 1000),
        }),
      )
      .join('\n');
    const orphan = stack.deps.store.insert('usage_events', rows, { queryId: `${ingestQueryPrefix(stack.deps.store)}${ended!.txid}-0` });
    await sleep(300); // the orphan is running on the server
    const retry = await postEvents(stack, batch);
    await orphan;
    expect(retry.body).toEqual({ accepted: 0, duplicates: N, rejected: [] });
    expect(await stored('orphan')).toBe(N);
  });
});
