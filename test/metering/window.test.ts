import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { DAY_MS, HOUR_MS, daily, ingestOk, isoDate, newTenant, postEvents, utcMidnight } from '../helpers/metering';

/** The acceptance window: at most 35 days old, at most 5 minutes ahead; a late event inside it counts on its own day. */
describe.each(BACKENDS)('the ingestion window (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

  it('rejects an event 36 days old and one 6 minutes ahead by index and code, and takes the rest', async () => {
    const t = await newTenant(stack);
    const reply = await postEvents(stack, [
      usageEvent(t.accountId, 'ok-1', { value: 1 }),
      usageEvent(t.accountId, 'old', { value: 10, timestamp: ago(36 * DAY_MS) }),
      usageEvent(t.accountId, 'ok-2', { value: 100, timestamp: ago(34 * DAY_MS) }),
      usageEvent(t.accountId, 'ahead', { value: 1000, timestamp: ago(-6 * 60_000) }),
      usageEvent(t.accountId, 'ok-3', { value: 10_000, timestamp: ago(-4 * 60_000) }),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body.accepted).toBe(3);
    expect(reply.body.duplicates).toBe(0);
    expect(reply.body.rejected.map(({ index, code }) => ({ index, code }))).toEqual([
      { index: 1, code: 'too_old' },
      { index: 3, code: 'in_future' },
    ]);
    expect(reply.body.rejected.every((r) => r.message.length > 0)).toBe(true);

    // Only the three accepted events count, over the whole window.
    const rows = await daily(stack, t.apiKey, 'ai_tokens', isoDate(Date.now() - 40 * DAY_MS), isoDate(Date.now() + DAY_MS));
    expect(Object.values(rows).reduce((a, b) => (a as number) + (b as number), 0)).toBe(10_101);
    expect(rows[isoDate(Date.now() - 36 * DAY_MS)]).toBe(0);

    // A rejected id was never stored: it is accepted once it comes inside the window.
    const retry = await postEvents(stack, [usageEvent(t.accountId, 'old', { value: 10 })]);
    expect(retry.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('a late event (2 days old) changes that day, and only that day', async () => {
    const t = await newTenant(stack);
    const twoDaysAgo = utcMidnight(Date.now()) - 2 * DAY_MS;
    const range = [isoDate(twoDaysAgo - DAY_MS), isoDate(twoDaysAgo + DAY_MS)] as const;
    await ingestOk(stack, [
      usageEvent(t.accountId, 'on-time', { meter: 'bandwidth_bytes', value: 5, timestamp: new Date(twoDaysAgo + 3 * HOUR_MS).toISOString() }),
      usageEvent(t.accountId, 'next-day', { meter: 'bandwidth_bytes', value: 7, timestamp: new Date(twoDaysAgo + DAY_MS + HOUR_MS).toISOString() }),
    ]);
    const before = await daily(stack, t.apiKey, 'bandwidth_bytes', ...range);
    expect(before).toEqual({ [range[0]]: 0, [isoDate(twoDaysAgo)]: 5, [range[1]]: 7 });

    await ingestOk(stack, [
      usageEvent(t.accountId, 'late', { meter: 'bandwidth_bytes', value: 2.5, timestamp: new Date(twoDaysAgo + 23 * HOUR_MS).toISOString() }),
    ]);
    const after = await daily(stack, t.apiKey, 'bandwidth_bytes', ...range);
    expect(after).toEqual({ ...before, [isoDate(twoDaysAgo)]: 7.5 });
  });

  it('a late gauge reading rewrites that day and the level carried into the next ones', async () => {
    const t = await newTenant(stack);
    const d = utcMidnight(Date.now()) - 3 * DAY_MS;
    const at = (h: number) => new Date(d + h * HOUR_MS).toISOString();
    await ingestOk(stack, [usageEvent(t.accountId, 's1', { meter: 'storage_bytes', value: 100, timestamp: at(0) })]);
    const range = [isoDate(d), isoDate(d + DAY_MS)] as const;
    expect(await daily(stack, t.apiKey, 'storage_bytes', ...range)).toEqual({
      [range[0]]: { value: 100, average: 100 },
      [range[1]]: { value: 100, average: 100 },
    });
    // Arrives late: from 18 h on day 0 the level was 40 (average (100 * 18 + 40 * 6) / 24 = 85).
    await ingestOk(stack, [usageEvent(t.accountId, 's2', { meter: 'storage_bytes', value: 40, timestamp: at(18) })]);
    expect(await daily(stack, t.apiKey, 'storage_bytes', ...range)).toEqual({
      [range[0]]: { value: 100, average: 85 },
      [range[1]]: { value: 40, average: 40 },
    });
  });
});
