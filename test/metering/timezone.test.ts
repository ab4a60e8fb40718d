import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { DAY_MS, daily, ingestOk, isoDate, newTenant, withIngestClock } from '../helpers/metering';

/**
 * Local days in any IANA zone: 23:59:59 and 00:00:00 land on their own local days, a 23-hour and
 * a 25-hour day each get all their events, and the gauge average divides by the day's real length.
 * DST changes happen on fixed dates, mostly outside the 35-day window from today, so those cases
 * pin the ingestion clock two days after the change (see withIngestClock); the half- and
 * three-quarter-hour zones use the real clock.
 */
interface DstCase {
  tz: string;
  date: string;
  hours: 23 | 25;
  stamps: string[];
  gauge: [string, string];
}
const next = (d: string, n = 1) => isoDate(Date.parse(`${d}T00:00:00Z`) + n * DAY_MS);

// stamps: 23:59:59 the day before, 00:00:00, two instants around the change, 23:59:59, 00:00:00 the day after.
const DST: DstCase[] = [
  {
    tz: 'America/New_York',
    date: '2026-03-08',
    hours: 23,
    gauge: ['2026-03-08T00:00:00-05:00', '2026-03-08T12:00:00-04:00'],
    stamps: [
      '2026-03-07T23:59:59-05:00',
      '2026-03-08T00:00:00-05:00',
      '2026-03-08T01:59:59-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-08T23:59:59-04:00',
      '2026-03-09T00:00:00-04:00',
    ],
  },
  {
    tz: 'Europe/Berlin',
    date: '2026-03-29',
    hours: 23,
    gauge: ['2026-03-29T00:00:00+01:00', '2026-03-29T12:00:00+02:00'],
    stamps: [
      '2026-03-28T23:59:59+01:00',
      '2026-03-29T00:00:00+01:00',
      '2026-03-29T01:59:59+01:00',
      '2026-03-29T03:00:00+02:00',
      '2026-03-29T23:59:59+02:00',
      '2026-03-30T00:00:00+02:00',
    ],
  },
  {
    tz: 'Europe/Berlin',
    date: '2026-10-25',
    hours: 25,
    gauge: ['2026-10-25T00:00:00+02:00', '2026-10-25T12:00:00+01:00'],
    stamps: [
      '2026-10-24T23:59:59+02:00',
      '2026-10-25T00:00:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T02:30:00+01:00',
      '2026-10-25T23:59:59+01:00',
      '2026-10-26T00:00:00+01:00',
    ],
  },
  {
    tz: 'America/New_York',
    date: '2026-11-01',
    hours: 25,
    gauge: ['2026-11-01T00:00:00-04:00', '2026-11-01T12:00:00-05:00'],
    stamps: [
      '2026-10-31T23:59:59-04:00',
      '2026-11-01T00:00:00-04:00',
      '2026-11-01T01:30:00-04:00',
      '2026-11-01T01:30:00-05:00',
      '2026-11-01T23:59:59-05:00',
      '2026-11-02T00:00:00-05:00',
    ],
  },
  // Clocks jump from 00:00 to 01:00: the day has no midnight and begins at 01:00 (-03).
  {
    tz: 'America/Santiago',
    date: '2026-09-06',
    hours: 23,
    gauge: ['2026-09-06T01:00:00-03:00', '2026-09-06T12:00:00-03:00'],
    stamps: [
      '2026-09-05T23:59:59-04:00',
      '2026-09-06T01:00:00-03:00',
      '2026-09-06T01:00:01-03:00',
      '2026-09-06T02:00:00-03:00',
      '2026-09-06T23:59:59-03:00',
      '2026-09-07T00:00:00-03:00',
    ],
  },
];

describe.each(BACKENDS)('local days and DST (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  it.each(DST)('$tz $date ($hours-hour day) gets all of its events', async ({ tz, date, hours, stamps, gauge }) => {
    const t = await newTenant(stack);
    const events = [
      ...stamps.map((ts, i) => usageEvent(t.accountId, `c${i}`, { value: 10 ** i, timestamp: ts })),
      // 30 minutes before the day begins: the last half hour of the day before.
      usageEvent(t.accountId, 'g-', { meter: 'storage_bytes', value: 50, timestamp: new Date(Date.parse(gauge[0]) - 1_800_000).toISOString() }),
      usageEvent(t.accountId, 'g0', { meter: 'storage_bytes', value: 100, timestamp: gauge[0] }),
      usageEvent(t.accountId, 'g1', { meter: 'storage_bytes', value: 200, timestamp: gauge[1] }),
    ];
    await withIngestClock(stack, Date.parse(`${next(date, 2)}T12:00:00Z`), () => ingestOk(stack, events));
    const range = [next(date, -1), next(date)] as const;
    // Day before: 1; the day: 10 + 100 + 1,000 + 10,000; day after: 100,000.
    expect(await daily(stack, t.apiKey, 'ai_tokens', ...range, { timezone: tz })).toEqual({ [range[0]]: 1, [date]: 11_110, [range[1]]: 100_000 });
    // 100 from the first instant of the day until local noon, then 200 until midnight (12 h).
    // 23-hour days: (100 * 11 + 200 * 12) / 23; 25-hour days: (100 * 13 + 200 * 12) / 25 = 148.
    const sinceStart = (Date.parse(gauge[1]) - Date.parse(gauge[0])) / 3_600_000;
    expect(sinceStart).toBe(hours - 12);
    expect(await daily(stack, t.apiKey, 'storage_bytes', ...range, { timezone: tz })).toEqual({
      [range[0]]: { value: 50, average: 50 }, // known only from 23:30: 50 throughout
      [date]: { value: 200, average: hours === 23 ? 152.173913043 : 148 },
      [range[1]]: { value: 200, average: 200 },
    });
    // The same events in UTC: days cut at UTC midnight instead.
    const utc = await daily(stack, t.apiKey, 'ai_tokens', next(date, -2), next(date, 2));
    const byUtcDay: Record<string, number> = {};
    stamps.forEach((ts, i) => {
      const d = isoDate(Date.parse(ts));
      byUtcDay[d] = (byUtcDay[d] ?? 0) + 10 ** i;
    });
    expect(Object.fromEntries(Object.entries(utc).filter(([, v]) => v !== 0))).toEqual(byUtcDay);
  });

  // Zones without DST: their offset is the same whenever this runs.
  it.each([
    ['Asia/Kolkata', '+05:30'],
    ['Asia/Kathmandu', '+05:45'],
    ['Australia/Eucla', '+08:45'],
    ['Pacific/Marquesas', '-09:30'],
  ])('%s (%s) splits days at local midnight (real clock)', async (tz, offset) => {
    const t = await newTenant(stack);
    const day = isoDate(Date.now() - 5 * DAY_MS);
    await ingestOk(stack, [
      usageEvent(t.accountId, 'a', { meter: 'lambda_invocations', value: 1, timestamp: `${day}T00:00:00${offset}` }),
      usageEvent(t.accountId, 'b', { meter: 'lambda_invocations', value: 2, timestamp: `${day}T23:59:59${offset}` }),
      usageEvent(t.accountId, 'c', { meter: 'lambda_invocations', value: 4, timestamp: `${next(day)}T00:00:00${offset}` }),
      usageEvent(t.accountId, 'd', { meter: 'lambda_invocations', value: 8, timestamp: `${next(day)}T23:59:59${offset}` }),
    ]);
    expect(await daily(stack, t.apiKey, 'lambda_invocations', next(day, -1), next(day, 2), { timezone: tz })).toEqual({
      [next(day, -1)]: 0,
      [day]: 3,
      [next(day)]: 12,
      [next(day, 2)]: 0,
    });
  });
});
