import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { createApp, usageEvent } from '../helpers/factories';
import { DAY_MS, HOUR_MS, billing, daily, ingestOk, isoDate, newTenant, utcMidnight } from '../helpers/metering';

/**
 * storage_bytes is a gauge: the account level is the sum of each series' latest reading (apps A
 * and B plus account-level readings without an app). Per day: value = peak, average = time-
 * weighted average (floored to 9 decimals), time before the first reading excluded, the level
 * carried across days. Every expected number below is worked out by hand in the comments.
 */
describe.each(BACKENDS)('storage gauge: daily peak and time-weighted average (%s)', (backend) => {
  let stack: TestStack;
  let apiKey: string;
  const apps = { A: '', B: '' };
  const d0 = utcMidnight(Date.now());
  const day = (n: number) => isoDate(d0 - n * DAY_MS); // n days ago
  const range = { from: day(6), to: day(1) };

  beforeAll(async () => {
    stack = await startTestStack({ backend });
    const t = await newTenant(stack);
    apiKey = t.apiKey;
    const a = (apps.A = (await createApp(stack, t.accountId, 'A')).appId);
    const b = (apps.B = (await createApp(stack, t.accountId, 'B')).appId);
    const reading = (id: string, daysAgo: number, hours: number, value: number, appId?: string) =>
      usageEvent(t.accountId, id, {
        meter: 'storage_bytes',
        value,
        timestamp: new Date(d0 - daysAgo * DAY_MS + hours * HOUR_MS).toISOString(),
        ...(appId && { appId }),
      });
    // Sent out of order, as late readings arrive.
    await ingestOk(stack, [
      reading('r7', 3, 20, 25, a),
      reading('r1', 5, 6, 100),
      reading('r2', 5, 12, 50, a),
      reading('r3', 5, 18, 30, b),
      reading('r4', 3, 0, 10, a), // exactly at midnight: lowers the level the day starts with
      reading('r5', 3, 8, 120), //   two series change in the same second: the level goes
      reading('r6', 3, 8, 0, b), //  140 -> 130 and never shows the 160 in between
      reading('r8', 2, 24 - 1 / 3600, 1000.5, b), // 23:59:59
    ]);
  });
  afterAll(() => stack?.close());

  it('sums the series, excludes time before the first reading, and carries the level across days', async () => {
    expect(await daily(stack, apiKey, 'storage_bytes', range.from, range.to)).toEqual({
      // No reading yet: nothing known.
      [day(6)]: { value: 0, average: 0 },
      // 06-12 h: 100; 12-18 h: 150; 18-24 h: 180. Known for 18 h: (600 + 900 + 1080) / 18.
      [day(5)]: { value: 180, average: 143.333333333 },
      // No readings: the level 180 carried all day.
      [day(4)]: { value: 180, average: 180 },
      // 0-8 h: 100 + 10 + 30 = 140; 8-20 h: 120 + 10 + 0 = 130; 20-24 h: 120 + 25 + 0 = 145.
      // (1120 + 1560 + 580) / 24. The carried 180 ended at midnight: not this day's peak.
      [day(3)]: { value: 145, average: 135.833333333 },
      // 145 for 86,399 s, then 145 + 1000.5 for the last second: 12,529,000.5 / 86,400.
      [day(2)]: { value: 1145.5, average: 145.011579861 },
      [day(1)]: { value: 1145.5, average: 1145.5 },
    });
  });

  it('carries the level from before the asked range', async () => {
    expect(await daily(stack, apiKey, 'storage_bytes', day(4), day(4))).toEqual({ [day(4)]: { value: 180, average: 180 } });
    expect(await daily(stack, apiKey, 'storage_bytes', day(1), day(1))).toEqual({ [day(1)]: { value: 1145.5, average: 1145.5 } });
  });

  it('reads one series alone with appId', async () => {
    expect((await billing(stack, apiKey)).usage.storage_bytes.used).toBe(1145.5); // the latest level, for limits
    // App A: 50 from 12 h on day 5; 10 at midnight of day 3, 25 from 20 h: (10 * 20 + 25 * 4) / 24.
    expect(await daily(stack, apiKey, 'storage_bytes', range.from, range.to, { appId: apps.A })).toEqual({
      [day(6)]: { value: 0, average: 0 },
      [day(5)]: { value: 50, average: 50 },
      [day(4)]: { value: 50, average: 50 },
      [day(3)]: { value: 25, average: 12.5 },
      [day(2)]: { value: 25, average: 25 },
      [day(1)]: { value: 25, average: 25 },
    });
    // App B: 30 from 18 h on day 5; 0 from 8 h on day 3 (30 * 8 / 24); 1000.5 for the last second of day 2.
    expect(await daily(stack, apiKey, 'storage_bytes', range.from, range.to, { appId: apps.B })).toEqual({
      [day(6)]: { value: 0, average: 0 },
      [day(5)]: { value: 30, average: 30 },
      [day(4)]: { value: 30, average: 30 },
      [day(3)]: { value: 30, average: 10 },
      [day(2)]: { value: 1000.5, average: 0.011579861 },
      [day(1)]: { value: 1000.5, average: 1000.5 },
    });
  });
});
