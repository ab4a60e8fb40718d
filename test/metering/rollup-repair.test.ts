import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { DAY_MS, HOUR_MS, daily, ingestOk, isoDate, newTenant, onEveryServer, postEvents, utcMidnight } from '../helpers/metering';
import { z } from 'zod';

/**
 * ClickHouse writes a materialized view's part after the source table's, not atomically: a crash
 * in between leaves events in usage_events (the de-duplication index) without their rollups (seen
 * with a SIGKILL in outage.test.ts). That state is made here on purpose by detaching the views for
 * one insert. The client's retry must then complete the rollups: every event counted once.
 */
describe.each(BACKENDS)('a retry completes rollups lost in a crash (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  const views = ['usage_counters_15m_mv', 'usage_gauge_readings_mv'];
  async function withoutRollups<T>(fn: () => Promise<T>): Promise<T> {
    const view = (v: string) => onEveryServer(stack, v, 'view');
    for (const v of views) await stack.deps.store.command(`DETACH TABLE ${view(v)}`);
    try {
      return await fn();
    } finally {
      for (const v of views) await stack.deps.store.command(`ATTACH TABLE ${view(v)}`);
    }
  }

  it('counters and gauge readings stored raw only are counted once on the retry, and only once', async () => {
    const t = await newTenant(stack);
    const d = utcMidnight(Date.now()) - DAY_MS;
    const at = (h: number) => new Date(d + h * HOUR_MS).toISOString();
    const day = isoDate(d);
    // Rolled up normally: these share their 15-minute buckets with the lost events.
    await ingestOk(stack, [
      usageEvent(t.accountId, 'ok-1', { value: 0.1, timestamp: at(1) }),
      usageEvent(t.accountId, 'ok-2', { meter: 'storage_bytes', value: 100, timestamp: at(1) }),
    ]);
    const lost = [
      usageEvent(t.accountId, 'lost-1', { value: 0.2, timestamp: at(1) }),
      usageEvent(t.accountId, 'lost-2', { value: 5, timestamp: at(13) }),
      usageEvent(t.accountId, 'lost-3', { meter: 'storage_bytes', value: 300, timestamp: at(12) }),
    ];
    // The crash: the raw part is written, the rollups are not.
    await withoutRollups(() => postEvents(stack, lost));
    expect(await daily(stack, t.apiKey, 'ai_tokens', day, day)).toEqual({ [day]: 0.1 });

    // The client retries the batch (it never saw it succeed) and sends a new event with it.
    const retry = await postEvents(stack, [...lost, usageEvent(t.accountId, 'new', { value: 1, timestamp: at(13) })]);
    expect(retry.body).toEqual({ accepted: 1, duplicates: 3, rejected: [] });
    const expected = {
      ai: { [day]: 6.3 }, // 0.1 + 0.2 + 5 + 1
      storage: { [day]: { value: 300, average: 204.347826086 } }, // known from 01:00: 100 for 11 h, then 300 for 12 h: 4700 / 23
    };
    expect(await daily(stack, t.apiKey, 'ai_tokens', day, day)).toEqual(expected.ai);
    expect(await daily(stack, t.apiKey, 'storage_bytes', day, day)).toEqual(expected.storage);

    // Retried again: nothing more is added.
    expect((await postEvents(stack, lost)).body).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(await daily(stack, t.apiKey, 'ai_tokens', day, day)).toEqual(expected.ai);
    expect(await daily(stack, t.apiKey, 'storage_bytes', day, day)).toEqual(expected.storage);
    const [raw] = await stack.deps.store.query(
      `SELECT toString(sum(events)) AS n FROM {db:Identifier}.usage_counters_15m WHERE account_id = {a:String}`,
      { a: t.accountId },
      z.object({ n: z.string() }),
    );
    expect(raw!.n).toBe('4');
  });

  it('a plain duplicate (nothing lost) changes nothing', async () => {
    const t = await newTenant(stack);
    const events = [usageEvent(t.accountId, 'a', { value: 2 }), usageEvent(t.accountId, 'b', { meter: 'storage_bytes', value: 7 })];
    await ingestOk(stack, events);
    expect((await postEvents(stack, events)).body).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    const [rows] = await stack.deps.store.query(
      `SELECT toString(sum(events)) AS n, toString((SELECT count() FROM {db:Identifier}.usage_gauge_readings WHERE account_id = {a:String})) AS g
       FROM {db:Identifier}.usage_counters_15m WHERE account_id = {a:String}`,
      { a: t.accountId },
      z.object({ n: z.string(), g: z.string() }),
    );
    expect(rows).toEqual({ n: '1', g: '1' });
  });
});
