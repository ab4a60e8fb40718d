import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClickHouseServer, type ClickHouseServer } from '../../testing/clickhouse-server';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { usageEvent } from '../helpers/factories';
import { DAY_MS, daily, isoDate, newTenant, onCluster, postEvents, sleep, type IngestReply, type Tenant } from '../helpers/metering';
import { nanoNumber, toNanoExact } from './oracle';
import { crashWithBatchesInFlight, resendUntil200 } from './ingest-under-faults';
import { z } from 'zod';

/**
 * ClickHouse goes down in the middle of a stream of batches: those batches answer 503 (never
 * another 5xx, never 200), and once it is back, the client's retries (and re-sends of batches that
 * had succeeded) leave every event counted exactly once.
 *
 * Debian's ClickHouse server only: its own instance, so stopping it touches no other test file.
 * chDB runs inside the API process and cannot be stopped while the process lives, so the outage
 * has no chDB counterpart.
 */
const PER_BATCH = 40;

// A single server of its own (the cluster's faults are cluster-faults.test.ts).
(onCluster ? describe.skip : describe)('ClickHouse outage during ingestion (clickhouse)', () => {
  let ch: ClickHouseServer;
  let stack: TestStack;
  let t: Tenant;
  beforeAll(async () => {
    // @clickhouse/client logs every refused connection; expected here, so kept out of the output.
    const error = console.error.bind(console);
    jest.spyOn(console, 'error').mockImplementation((...args) => {
      if (!String(args[0]).includes('@clickhouse/client')) error(...args);
    });
    ch = await startClickHouseServer({ logDir: mkdtempSync(join(tmpdir(), 'tollbooth-outage-logs-')) });
    stack = await startTestStack({ backend: 'clickhouse', env: { CLICKHOUSE_URL: ch.url } });
    t = await newTenant(stack);
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
    await ch?.dispose();
  });

  const value = (b: number, i: number) => `${(b * 7 + i) % 50}.${(i * 13) % 100}`;
  // A retry re-sends the very same events (same payload: else it would be a conflict).
  const start = Date.now();
  const batch = (b: number) =>
    Array.from({ length: PER_BATCH }, (_, i) =>
      usageEvent(t.accountId, `b${b}-${i}`, {
        meter: 'bandwidth_bytes',
        value: Number(value(b, i)),
        timestamp: new Date(start - (b * PER_BATCH + i + 1) * 1000).toISOString(),
      }),
    );

  it('503 while down, then retries count every event once', async () => {
    const outcome = new Map<number, IngestReply | number>(); // batch -> 200 body, or the failing status
    let next = 0;
    const send = async (b: number) => {
      const reply = await postEvents(stack, batch(b));
      expect([200, 503]).toContain(reply.status);
      if (reply.status === 200) expect(reply.body.accepted + reply.body.duplicates).toBe(PER_BATCH);
      outcome.set(b, reply.status === 200 ? reply.body : reply.status);
      return reply.status;
    };
    const retryUntil200 = (b: number) => resendUntil200(send, b, { attempts: 20, waitMs: 250 });

    while (next < 10) expect(await send(next++)).toBe(200);
    // 1. A graceful stop. The server goes on serving open connections until they are idle: batches
    // keep going out, two at a time, until it is over; each answers 200 or 503, nothing else.
    let down = false;
    const stopping = ch.stop().then(() => {
      down = true;
    });
    while (!down) {
      await Promise.all([send(next), send(next + 1)]);
      next += 2;
      await sleep(300);
    }
    // Down: every batch is refused with 503, and so is the dashboard.
    for (const end = next + 5; next < end;) expect(await send(next++)).toBe(503);
    expect((await call(stack.url, 'GET', '/dashboard/usage?meterType=bandwidth_bytes', { token: t.apiKey })).status).toBe(503);
    await stopping;
    await ch.start();
    for (const end = next + 3; next < end;) await retryUntil200(next++);

    // 2. A crash: SIGKILL (to the pid of the server this test started) while batches are in flight.
    await crashWithBatchesInFlight(ch, send, { first: next, count: 6, spacingMs: 15, killAfterMs: 40 });
    next += 6;
    for (const end = next + 3; next < end;) expect(await send(next++)).toBe(503);
    await ch.start();

    for (const end = next + 5; next < end;) await retryUntil200(next++);
    // The client retries what failed, and re-sends some batches that had succeeded.
    const failed = [...outcome].filter(([, o]) => typeof o === 'number').map(([b]) => b);
    expect(failed.length).toBeGreaterThanOrEqual(8);
    for (const b of failed) await retryUntil200(b);
    for (const b of [0, 3, 9, next - 1]) expect((await postEvents(stack, batch(b))).body).toEqual({ accepted: 0, duplicates: PER_BATCH, rejected: [] });
    const days = await daily(stack, t.apiKey, 'bandwidth_bytes', isoDate(Date.now() - 2 * DAY_MS), isoDate(Date.now() + DAY_MS));
    const total = Object.values(days).reduce((sum: bigint, v) => sum + toNanoExact(String(v)), 0n);
    let expected = 0n;
    for (let b = 0; b < next; b++) for (let i = 0; i < PER_BATCH; i++) expected += toNanoExact(value(b, i));
    expect(nanoNumber(total)).toBe(nanoNumber(expected));
    const [raw] = await stack.deps.store.query(
      'SELECT toString(count()) AS n, toString(uniqExact(event_id)) AS u FROM {db:Identifier}.usage_events WHERE account_id = {a:String}',
      { a: t.accountId },
      z.object({ n: z.string(), u: z.string() }),
    );
    expect(raw).toEqual({ n: String(next * PER_BATCH), u: String(next * PER_BATCH) });
  });
});
