import fc from 'fast-check';
import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { createApp } from '../helpers/factories';
import { DAY_MS, insertHeavyTimeout, newTenant, postEvents, usage, type Tenant } from '../helpers/metering';
import { dayStarts, expectedUsage, firstOccurrences, localDateOf, toNanoExact, type OracleEvent, type Row } from './oracle';

/**
 * Any stream of events (duplicate ids, all four meters, exact decimals, late and out of order),
 * shuffled, batched and partly re-sent, reads back on the dashboard exactly as an independent
 * recomputation from the first occurrence of each (account, id) says.
 */
const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/St_Johns',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
];
const METERS = ['ai_tokens', 'lambda_invocations', 'bandwidth_bytes', 'storage_bytes'] as const;
const SPAN_S = 20 * 86_400;

const valueArb = fc.oneof(
  fc.integer({ min: 0, max: 5_000_000 }).map(String),
  fc
    .tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 3 }))
    .map(([i, f, digits]) => `${i}.${String(f).padStart(3, '0').slice(0, digits)}`),
  fc.constantFrom('0.1', '0.2', '0.3', '0.7', '0'),
);
// When: any second of the last 20 days, or exactly on / one second before a local midnight.
const whenArb = fc.oneof(
  fc.record({ ago: fc.integer({ min: 60, max: SPAN_S }), ms: fc.nat(999) }),
  fc.record({ daysAgo: fc.integer({ min: 1, max: 20 }), minus: fc.constantFrom(0, 1), utc: fc.boolean() }),
);
const eventArb = fc.record({
  account: fc.nat(1),
  id: fc.integer({ min: 0, max: 11 }),
  app: fc.nat(2),
  meter: fc.constantFrom(...METERS),
  value: valueArb,
  when: whenArb,
});
const scenarioArb = fc.record({
  accounts: fc.integer({ min: 1, max: 2 }),
  events: fc.array(eventArb, { minLength: 1, maxLength: 60 }),
  seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
  cuts: fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 60, maxLength: 60 }),
  resend: fc.array(fc.nat(3), { minLength: 60, maxLength: 60 }),
  zone: fc.constantFrom(...ZONES),
});

describe.each(BACKENDS)('usage equals an independent recomputation (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  it(
    'for any batched, retried, shuffled stream of events',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (sc) => {
          const tenants: (Tenant & { apps: string[] })[] = [];
          for (let a = 0; a < sc.accounts; a++) {
            const t = await newTenant(stack);
            tenants.push({ ...t, apps: [(await createApp(stack, t.accountId, 'a')).appId, (await createApp(stack, t.accountId, 'b')).appId] });
          }
          const now = Date.now();
          const midnight = (daysAgo: number, tz: string) => {
            const date = localDateOf(now - daysAgo * DAY_MS, tz);
            return dayStarts(tz, (now - (daysAgo + 2) * DAY_MS) / 1000, (now - (daysAgo - 1) * DAY_MS) / 1000).get(date)! * 1000;
          };
          const events = sc.events.map((e) => {
            const t = tenants[e.account % sc.accounts]!;
            const w = e.when;
            const ms = 'ago' in w ? now - w.ago * 1000 - w.ms : midnight(w.daysAgo, w.utc ? 'UTC' : sc.zone) - w.minus * 1000;
            const appId = e.app === 0 ? undefined : t.apps[e.app - 1];
            return {
              id: `e${e.id}`,
              accountId: t.accountId,
              ...(appId && { appId }),
              meter: e.meter,
              value: Number(e.value),
              timestamp: new Date(ms).toISOString(),
              exact: e.value,
              ms,
            };
          });
          // Shuffle (send order), then cut into batches; some batches are sent again later (a retry).
          const shuffled = events
            .map((e, i) => ({ e, k: sc.seed[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          const batches: (typeof events)[] = [];
          for (let i = 0, c = 0; i < shuffled.length; c++) {
            batches.push(shuffled.slice(i, i + sc.cuts[c]!));
            i += sc.cuts[c]!;
          }
          const sends = [...batches];
          batches.forEach((b, i) => {
            if (sc.resend[i] === 0) sends.splice(sends.indexOf(b) + 1 + (sc.seed[i]! % 3), 0, b);
          });

          // The first copy of an id counts; a later copy is a duplicate when its payload (exact value,
          // meter, whole second, app) is the first one's, else a conflict, reported at its index.
          const first = new Map<string, (typeof events)[number]>();
          const samePayload = (a: (typeof events)[number], b: (typeof events)[number]) =>
            toNanoExact(a.exact) === toNanoExact(b.exact) && a.meter === b.meter && Math.floor(a.ms / 1000) === Math.floor(b.ms / 1000) && a.appId === b.appId;
          for (const batch of sends) {
            let accepted = 0;
            let duplicates = 0;
            const conflicts: number[] = [];
            batch.forEach((e, index) => {
              const owner = first.get(`${e.accountId}|${e.id}`);
              if (!owner) {
                first.set(`${e.accountId}|${e.id}`, e);
                accepted++;
              } else if (samePayload(owner, e)) duplicates++;
              else conflicts.push(index);
            });
            const reply = await postEvents(
              stack,
              batch.map(({ exact: _x, ms: _m, ...wire }) => wire),
            );
            expect(reply.status).toBe(200);
            expect({ ...reply.body, rejected: reply.body.rejected.map((r) => [r.index, r.code]) }).toEqual({
              accepted,
              duplicates,
              rejected: conflicts.map((i) => [i, 'conflict']),
            });
          }

          const kept: OracleEvent[] = firstOccurrences(sends.flat()).map((e) => ({ ...e, nano: toNanoExact(e.exact) }));
          for (const t of tenants) {
            const mine = kept.filter((e) => e.accountId === t.accountId);
            for (const [tz, appId] of [
              ['UTC', undefined],
              [sc.zone, undefined],
              [sc.zone, t.apps[0]],
            ] as const) {
              const startDate = localDateOf(now - 21 * DAY_MS, tz);
              const endDate = localDateOf(Date.now(), tz);
              const before = Math.floor(Date.now() / 1000);
              const actual = await usage(stack, t.apiKey, { startDate, endDate, timezone: tz, appId });
              const after = Math.floor(Date.now() / 1000);
              const dates: string[] = [];
              for (let d = startDate; d <= endDate; d = new Date(Date.parse(`${d}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)) dates.push(d);
              expectClose(actual, expectedUsage(mine, tz, dates, before, appId), expectedUsage(mine, tz, dates, after, appId), `${tz} ${appId ?? ''}`);
            }
          }
        }),
        { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), endOnFailure: true },
      );
    },
    insertHeavyTimeout(),
  );
});

/** Equal, except that today's gauge average moves with the server's clock: it must lie between the two. */
function expectClose(actual: Row[], early: Row[], late: Row[], label: string): void {
  const loose = actual.map((row, i) => {
    const [a, b] = [early[i]!.average, late[i]!.average];
    if (row.average === undefined || a === undefined || b === undefined || a === b) return row;
    return row.average >= Math.min(a, b) && row.average <= Math.max(a, b) ? { ...row, average: a } : row;
  });
  expect({ label, usage: loose }).toEqual({ label, usage: early });
}
