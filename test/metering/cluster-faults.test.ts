import { z } from 'zod';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClickHouseCluster, type ClickHouseCluster } from '../../testing/clickhouse-cluster';
import { createHttpStore } from '../../platform/clickhouse';
import { startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { eventually } from '../helpers/eventually';
import { DAY_MS, daily, isoDate, newTenant, onCluster, postEvents, sleep, type Tenant } from '../helpers/metering';
import { nanoNumber, toNanoExact } from './oracle';
import { crashWithBatchesInFlight, resendUntil200 } from './ingest-under-faults';

/**
 * Faults of a ClickHouse cluster (2 shards x 2 replicas, ZooKeeper) under a stream of batches that
 * span both shards: a replica killed with SIGKILL, and ZooKeeper stopped for 30 s. Batches answer
 * 200 or 503 (never another status); once the fault is over the client's retries leave every
 * event counted exactly once, and a restarted replica has its shard's data again.
 *
 * Its own cluster, so faults touch no other test file. It runs in the cluster pass of `npm test`
 * (TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1, scripts/test.sh), not in the single-server pass.
 */
const PER_ACCOUNT = 10;
const ACCOUNTS = 6; // cityHash64 spreads six accounts over both shards (asserted below)
const run = onCluster ? describe : describe.skip;

run('ClickHouse cluster faults during ingestion (clickhouse cluster)', () => {
  let cluster: ClickHouseCluster;
  let stack: TestStack;
  let tenants: Tenant[];
  beforeAll(async () => {
    // @clickhouse/client logs every failed request; expected here, so kept out of the output.
    const error = console.error.bind(console);
    jest.spyOn(console, 'error').mockImplementation((...args) => {
      if (!String(args[0]).includes('@clickhouse/client')) error(...args);
    });
    const workDir = mkdtempSync(join(tmpdir(), 'tollbooth-cluster-faults-'));
    cluster = await startClickHouseCluster({ workDir, logDir: join(workDir, 'logs') });
    stack = await startTestStack({ backend: 'clickhouse', env: { CLICKHOUSE_URL: cluster.nodes[0]!.url, CLICKHOUSE_CLUSTER: cluster.name } });
    tenants = [];
    for (let i = 0; i < ACCOUNTS; i++) tenants.push(await newTenant(stack));
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  const start = Date.now();
  const value = (b: number, i: number) => `${(b * 7 + i) % 50}.${(i * 13) % 100}`;
  let batches = 0;
  // Batch b: PER_ACCOUNT events for every account, so every batch writes to both shards.
  const batch = (b: number) =>
    tenants.flatMap((t, a) =>
      Array.from({ length: PER_ACCOUNT }, (_, i) =>
        usageEvent(t.accountId, `b${b}-${i}`, {
          meter: 'bandwidth_bytes',
          value: Number(value(b, i)),
          timestamp: new Date(start - ((b * ACCOUNTS + a) * PER_ACCOUNT + i + 1) * 1000).toISOString(),
        }),
      ),
    );
  const failed = new Set<number>();
  const send = async (b: number): Promise<number> => {
    batches = Math.max(batches, b + 1);
    const reply = await postEvents(stack, batch(b));
    // The body too, so a failure names what the API answered.
    if (reply.status !== 200 && reply.status !== 503) expect({ status: reply.status, body: reply.body }).toBeUndefined();
    if (reply.status === 200) {
      expect(reply.body.accepted + reply.body.duplicates).toBe(PER_ACCOUNT * ACCOUNTS);
      failed.delete(b);
    } else failed.add(b);
    return reply.status;
  };
  const retryUntil200 = (b: number) => resendUntil200(send, b, { attempts: 120, waitMs: 500 });
  /** Every event of every batch sent, counted once: in the rollups and in the raw table. */
  const expectExact = async () => {
    for (const b of [...failed]) await retryUntil200(b);
    for (const [a, t] of tenants.entries()) {
      const days = await daily(stack, t.apiKey, 'bandwidth_bytes', isoDate(Date.now() - 2 * DAY_MS), isoDate(Date.now() + DAY_MS));
      const total = Object.values(days).reduce((sum: bigint, v) => sum + toNanoExact(String(v)), 0n);
      let expected = 0n;
      for (let b = 0; b < batches; b++) for (let i = 0; i < PER_ACCOUNT; i++) expected += toNanoExact(value(b, i));
      expect([a, nanoNumber(total)]).toEqual([a, nanoNumber(expected)]);
    }
    const [raw] = await stack.deps.store.query(
      'SELECT toString(count()) AS n, toString(uniqExact(account_id, event_id)) AS u FROM {db:Identifier}.usage_events',
      {},
      z.object({ n: z.string(), u: z.string() }),
    );
    expect(raw).toEqual({ n: String(batches * PER_ACCOUNT * ACCOUNTS), u: String(batches * PER_ACCOUNT * ACCOUNTS) });
  };
  const localCount = async (url: string) => {
    const store = createHttpStore(url, stack.config.CLICKHOUSE_DATABASE);
    try {
      const [row] = await store.query('SELECT toString(count()) AS n FROM {db:Identifier}.usage_events_local', {}, z.object({ n: z.string() }));
      return Number(row!.n);
    } finally {
      await store.close();
    }
  };

  it('a replica killed with SIGKILL: nothing acknowledged lost, nothing doubled, its data back after restart', async () => {
    let next = 0;
    while (next < 4) expect(await send(next++)).toBe(200);
    const [s1, s2] = [await localCount(cluster.nodes[0]!.url), await localCount(cluster.nodes[2]!.url)];
    expect(s1).toBeGreaterThan(0); // both shards hold accounts
    expect(s2).toBeGreaterThan(0);

    // The first replica of shard 2 (the one reads and inserts go to) dies with batches in flight.
    const victim = cluster.nodes[2]!;
    await crashWithBatchesInFlight(victim, send, { first: next, count: 6, spacingMs: 40, killAfterMs: 60 });
    next += 6;
    // Its shard has one live replica, fewer than the insert quorum: no insert is acknowledged.
    for (const end = next + 3; next < end;) expect(await send(next++)).toBe(503);
    await victim.start();
    for (const end = next + 3; next < end;) await retryUntil200(next++);
    await expectExact();
    // The restarted replica holds its shard's data again, as its twin does.
    await eventually('the restarted replica to catch up', async () => (await localCount(victim.url)) === (await localCount(cluster.nodes[3]!.url)), 60_000);
    expect((await localCount(victim.url)) + (await localCount(cluster.nodes[0]!.url))).toBe(batches * PER_ACCOUNT * ACCOUNTS);
  }, 300_000);

  it('ZooKeeper stopped for 30 s: ingestion answers 503, then recovers with nothing lost', async () => {
    let next = batches;
    for (const end = next + 2; next < end;) await retryUntil200(next++);
    await cluster.zookeeper.stop();
    const downUntil = Date.now() + 30_000;
    const statuses: number[] = [];
    while (Date.now() < downUntil) {
      statuses.push(await send(next++));
      await sleep(1000);
    }
    // Replicated tables cannot insert without ZooKeeper: the whole outage is 503s, none acknowledged.
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(statuses.length - 1);
    await cluster.zookeeper.start();
    for (const end = next + 3; next < end;) await retryUntil200(next++);
    await expectExact();
  }, 300_000);
});
