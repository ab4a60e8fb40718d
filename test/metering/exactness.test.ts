import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { createApp, usageEvent } from '../helpers/factories';
import { DAY_MS, HOUR_MS, billing, daily, ingestOk, isoDate, newTenant, postEvents, utcMidnight } from '../helpers/metering';

/** Usage numbers are decimal-exact end to end: what goes in as 0.1 and 0.2 comes out as 0.3. */
describe.each(BACKENDS)('exact usage numbers (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  const yesterday = () => utcMidnight(Date.now()) - DAY_MS;
  const at = (ms: number) => new Date(ms).toISOString();

  it('0.1 + 0.2 shows 0.3 for counters, per day and per period', async () => {
    const t = await newTenant(stack);
    const y = yesterday();
    await ingestOk(stack, [
      usageEvent(t.accountId, 'a', { value: 0.1, timestamp: at(y + HOUR_MS) }),
      usageEvent(t.accountId, 'b', { value: 0.2, timestamp: at(y + 2 * HOUR_MS) }),
      ...Array.from({ length: 10 }, (_, i) => usageEvent(t.accountId, `c${i}`, { meter: 'bandwidth_bytes', value: 0.1, timestamp: at(y + 3 * HOUR_MS) })),
      usageEvent(t.accountId, 'd', { meter: 'lambda_invocations', value: 123456789.123, timestamp: at(y + HOUR_MS) }),
      usageEvent(t.accountId, 'e', { meter: 'lambda_invocations', value: 0.877, timestamp: at(y + 5 * HOUR_MS) }),
      usageEvent(t.accountId, 'f', { meter: 'lambda_invocations', value: 0.000000001, timestamp: at(y + 5 * HOUR_MS) }),
    ]);
    const day = isoDate(y);
    expect((await daily(stack, t.apiKey, 'ai_tokens', day, day))[day]).toBe(0.3);
    expect((await daily(stack, t.apiKey, 'bandwidth_bytes', day, day))[day]).toBe(1);
    // 123456790.000000001 exactly; JSON carries the double nearest to it.
    expect((await daily(stack, t.apiKey, 'lambda_invocations', day, day))[day]).toBe(Number('123456790.000000001'));
  });

  it('gauge levels add exactly across series, and averages keep nine decimals', async () => {
    const t = await newTenant(stack);
    const { appId } = await createApp(stack, t.accountId);
    const y = yesterday();
    await ingestOk(stack, [
      usageEvent(t.accountId, 'g1', { meter: 'storage_bytes', value: 0.1, timestamp: at(y) }),
      usageEvent(t.accountId, 'g2', { meter: 'storage_bytes', value: 0.2, appId, timestamp: at(y + 12 * HOUR_MS) }),
    ]);
    const day = isoDate(y);
    // Average: 0.1 for 12 h, then 0.3 for 12 h = 0.2 exactly.
    expect((await daily(stack, t.apiKey, 'storage_bytes', day, day))[day]).toEqual({ value: 0.3, average: 0.2 });
    expect((await billing(stack, t.apiKey)).usage.storage_bytes.used).toBe(0.3);
  });

  it('a batch of 10,000 events with long ids is de-duplicated exactly', async () => {
    const t = await newTenant(stack);
    const id = (i: number) => `evt_${'x'.repeat(150)}_${i}`;
    const events = Array.from({ length: 10_000 }, (_, i) => usageEvent(t.accountId, id(i), { value: 0.001 }));
    const first = await postEvents(stack, events);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 10_000, duplicates: 0, rejected: [] });
    const again = await postEvents(stack, [...events.slice(5_000), usageEvent(t.accountId, 'new', { value: 0.001 })]);
    expect(again.body).toEqual({ accepted: 1, duplicates: 5_000, rejected: [] });
    expect((await billing(stack, t.apiKey)).usage.ai_tokens.used).toBe(10.001);
  });
});
