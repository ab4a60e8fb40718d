import type { ChildProcess } from 'node:child_process';
import { BACKENDS, startTestStack, type Backend, type TestStack } from '../helpers/stack';
import { spawnApi, stopApis } from '../helpers/api-process';
import { usageEvent } from '../helpers/factories';
import { DAY_MS, daily, insertHeavyTimeout, isoDate, newTenant, postEvents, type Tenant } from '../helpers/metering';
import { nanoNumber, toNanoExact } from './oracle';
import { z } from 'zod';

/**
 * "An acknowledged event is never counted twice, not on the same id sent concurrently to two API
 * processes." clickhouse: two real `bin/api.ts` processes on one Postgres and ClickHouse database.
 * chdb is one engine per process, so there: two API instances in this process on the same
 * databases (each with its own in-process lock: only the Postgres advisory lock is shared).
 */
// A value per id (the same whichever process gets it), with up to two decimals.
const valueOf = (id: string) => `${[...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_003, 7) % 1000}.${id.length % 100}`;

describe.each(BACKENDS)('two API instances, same ids at once (%s)', (backend: Backend) => {
  let base: TestStack;
  let second: TestStack | undefined;
  const children: ChildProcess[] = [];
  let urls: [string, string];

  beforeAll(async () => {
    base = await startTestStack({ backend });
    if (backend === 'clickhouse') {
      urls = (await Promise.all([spawnApi(base, children), spawnApi(base, children)])) as [string, string];
    } else {
      second = await startTestStack({ shareWith: base });
      urls = [base.url, second.url];
    }
  }, 120_000);
  afterAll(async () => {
    stopApis(children);
    await second?.close();
    await base?.close();
  });

  it(
    'counts every id once across many concurrent rounds',
    async () => {
      const tenants: Tenant[] = [await newTenant(base), await newTenant(base)];
      const sent = new Map<string, string>(); // account|id -> value
      const events = new Map<string, ReturnType<typeof usageEvent>>(); // a re-sent id carries its first payload
      let accepted = 0;
      for (let round = 0; round < 40; round++) {
        const ids = [
          ...Array.from({ length: 25 }, (_, i) => `r${round}-${i}`),
          ...Array.from({ length: 15 }, (_, i) => `r${Math.floor(Math.random() * (round + 1))}-${(i * 7 + round) % 25}`), // earlier rounds
        ];
        const batch = ids.flatMap((id, i) => {
          const t = tenants[(i + round) % 2]!;
          const e =
            events.get(`${t.accountId}|${id}`) ??
            usageEvent(t.accountId, id, { value: Number(valueOf(id)), timestamp: new Date(Date.now() - (i + 1) * 60_000).toISOString() });
          events.set(`${t.accountId}|${id}`, e);
          sent.set(`${t.accountId}|${id}`, valueOf(id));
          return i % 10 === 0 ? [e, e] : [e]; // and duplicates inside the batch
        });
        // Both get the same batch, or (odd rounds) overlapping halves in opposite orders.
        const [a, b] = round % 2 === 0 ? [batch, batch] : [batch.slice(0, 30), [...batch].reverse().slice(0, 30)];
        const replies = await Promise.all([postEvents(base, a, urls[0]), postEvents(base, b, urls[1])]);
        replies.forEach((r, i) => {
          expect(r.status).toBe(200);
          expect(r.body.accepted + r.body.duplicates).toBe([a, b][i]!.length);
          accepted += r.body.accepted;
        });
      }
      expect(accepted).toBe(sent.size);

      const from = isoDate(Date.now() - 2 * DAY_MS);
      const to = isoDate(Date.now() + DAY_MS);
      for (const t of tenants) {
        const mine = [...sent].filter(([k]) => k.startsWith(`${t.accountId}|`));
        const expected = nanoNumber(mine.reduce((s, [, v]) => s + toNanoExact(v), 0n));
        const days = await daily(base, t.apiKey, 'ai_tokens', from, to);
        const total = nanoNumber(Object.values(days).reduce((s: bigint, v) => s + toNanoExact(String(v)), 0n));
        expect(total).toBe(expected);
        const [raw] = await base.deps.store.query(
          'SELECT toString(count()) AS n, toString(uniqExact(event_id)) AS u FROM {db:Identifier}.usage_events WHERE account_id = {a:String}',
          { a: t.accountId },
          z.object({ n: z.string(), u: z.string() }),
        );
        expect(raw).toEqual({ n: String(mine.length), u: String(mine.length) });
      }
    },
    insertHeavyTimeout(),
  );

  it('copies inside one batch count once (the first wins); another payload under the same id is a conflict', async () => {
    const t = await newTenant(base);
    const timestamp = new Date(Date.now() - 60_000).toISOString();
    const e = (id: string, value: number) => usageEvent(t.accountId, id, { meter: 'lambda_invocations', value, timestamp });
    const reply = await postEvents(base, [e('x', 1), e('x', 1), e('y', 10), e('x', 4), e('y', 20)], urls[1]);
    expect({ ...reply.body, rejected: reply.body.rejected.map((r) => [r.index, r.code, r.message]) }).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: [
        [3, 'conflict', expect.stringContaining('value (first 1, now 4)')],
        [4, 'conflict', expect.stringContaining('value (first 10, now 20)')],
      ],
    });
    const today = isoDate(Date.now() - 60_000);
    expect((await daily(base, t.apiKey, 'lambda_invocations', today, today))[today]).toBe(11);
  });
});
