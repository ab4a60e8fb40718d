import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { usageEvent } from '../helpers/factories';
import { billing, newTenant, postEvents } from '../helpers/metering';

/**
 * Bad events are rejected one by one (index and code) and never fail the batch; any valid id,
 * however awkward for SQL or JSON, is de-duplicated exactly.
 */
describe.each(BACKENDS)('event validation and awkward ids (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
  });
  afterAll(() => stack?.close());

  it('rejects invalid events by index and takes the others', async () => {
    const t = await newTenant(stack);
    const e = (over: Record<string, unknown>) => ({ ...usageEvent(t.accountId, `id-${Math.random()}`), ...over });
    const events = [
      e({ value: 1 }),
      e({ id: 'lone-high-\ud800' }), // a lone surrogate has no UTF-8 form
      e({ id: 'lone-low-\udfff' }),
      e({ value: 1e30 }), // beyond what a JSON number carries exactly (and beyond Decimal(38, 9))
      e({ value: Number.MAX_SAFE_INTEGER + 2 }),
      e({ value: 0.0000000001 }), // 10 decimals
      e({ value: -1 }),
      e({ meter: 'cpu_seconds' }),
      e({ timestamp: '2026-11-26 10:00:00' }), // no offset
      e({ extra: true }),
      e({ accountId: 'acct_nobody' }),
      e({ appId: 'app_nobody' }),
      'not an object',
      e({ value: Number.MAX_SAFE_INTEGER }),
    ];
    const reply = await postEvents(stack, events);
    expect(reply.status).toBe(200);
    expect(reply.body.accepted).toBe(2);
    expect(reply.body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'invalid'],
      [2, 'invalid'],
      [3, 'invalid'],
      [4, 'invalid'],
      [5, 'invalid'],
      [6, 'invalid'],
      [7, 'invalid'],
      [8, 'invalid'],
      [9, 'invalid'],
      [10, 'unknown_account'],
      [11, 'unknown_app'],
      [12, 'invalid'],
    ]);
    expect((await billing(stack, t.apiKey)).usage.ai_tokens.used).toBe(Number.MAX_SAFE_INTEGER + 1);
  });

  it('de-duplicates ids with quotes, backslashes, control characters, emoji and placeholders', async () => {
    const t = await newTenant(stack);
    const ids = [`q'uote`, '"dq"', 'back\\slash', "\\'", 'new\nline', 'tab\t', 'nul\u0000x', 'emoji😀', '{a:String}', '%_', '\u2028', 'x'.repeat(200), ' '];
    const events = ids.map((id, i) => usageEvent(t.accountId, id, { value: 2 ** i }));
    expect((await postEvents(stack, events)).body).toEqual({ accepted: ids.length, duplicates: 0, rejected: [] });
    expect((await postEvents(stack, events)).body).toEqual({ accepted: 0, duplicates: ids.length, rejected: [] });
    for (const ev of events) expect((await postEvents(stack, [ev])).body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await billing(stack, t.apiKey)).usage.ai_tokens.used).toBe(2 ** ids.length - 1);
  });
});
