import fc from 'fast-check';
import { checkEvent, usageEventSchema, type Checked } from '../../metering/events';
import { numberText } from '../../metering/decimal';

const NOW = Date.parse('2026-06-15T12:00:00Z');

/** What the schema alone says about an event: the reference the fast path must agree with. */
function bySchemaOnly(input: unknown): 'invalid' | object {
  const parsed = usageEventSchema.safeParse(input);
  if (!parsed.success) return 'invalid';
  const e = parsed.data;
  return { account_id: e.accountId, event_id: e.id, app_id: e.appId ?? '', meter: e.meter, value: numberText(e.value) };
}
const outcome = (c: Checked): string | object => {
  if (!c.ok) return c.rejection.code === 'invalid' ? 'invalid' : c.rejection.code;
  const { account_id, event_id, app_id, meter, value } = c.row;
  return { account_id, event_id, app_id, meter, value };
};

const base = { id: 'evt-1', accountId: 'acct_1', meter: 'ai_tokens', value: 12.5, timestamp: '2026-06-15T11:00:00Z' };
// Awkward values for each field, valid and not: the fast path must decide each like the schema.
const awkward: Record<string, unknown[]> = {
  id: ['', 'x'.repeat(200), 'x'.repeat(201), 'a\ud800', '\udc00b', '😀', 'nul\u0000', 7, null, ['a']],
  accountId: ['', 'a'.repeat(64), 'a'.repeat(65), 'a\u0000', 'a\ud800', 5],
  appId: [undefined, '', 'app_1', 'app\u0000', 'a'.repeat(65), null, 3],
  meter: ['storage_bytes', 'bandwidth_bytes', 'cpu', 'AI_TOKENS', '', null],
  value: [0, -0, -1, 1e-9, 1e-10, 0.1, 0.123456789, 0.1234567891, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1e21, Infinity, NaN, '5', null, 1.5e-7],
  timestamp: [
    '2026-06-15T11:00:00Z',
    '2026-06-15T11:00:00.123456789Z',
    '2026-06-15T11:00:00+05:30',
    '2026-06-15T11:00:00+24:00',
    '2026-06-15T11:00Z',
    '2026-06-15 11:00:00Z',
    '2026-02-29T11:00:00Z',
    '2024-02-29T11:00:00Z',
    '2026-06-31T11:00:00Z',
    '2026-06-15T24:00:00Z',
    '2026-06-15T11:00:60Z',
    '2026-06-15T11:00:00',
    '2026-06-15T11:00:00.Z',
    '2026-06-15t11:00:00z',
    1_750_000_000,
  ],
};

describe('event check', () => {
  it('accepts and rejects every awkward field exactly as the schema does', () => {
    const inputs: unknown[] = [base, null, 'x', [base], { ...base, extra: 1 }, { ...base, ['__proto__']: 1 }, JSON.parse('{"__proto__":{"a":1},"id":"x"}')];
    for (const [field, values] of Object.entries(awkward)) for (const v of values) inputs.push({ ...base, [field]: v });
    for (const input of inputs) {
      const expected = bySchemaOnly(input);
      const got = outcome(checkEvent(input, 0, NOW));
      expect({ input, got }).toEqual({ input, got: expected === 'invalid' ? 'invalid' : got === 'too_old' || got === 'in_future' ? got : expected });
    }
  });

  it('agrees with the schema on generated events', () => {
    const field = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    const eventArb = fc.record(
      {
        id: fc.oneof(fc.string({ maxLength: 210 }), fc.string({ unit: 'binary', maxLength: 5 })),
        accountId: fc.string({ maxLength: 70 }),
        appId: field(fc.string({ maxLength: 3 })),
        meter: fc.constantFrom('ai_tokens', 'storage_bytes', 'x'),
        value: fc.oneof(fc.double(), fc.integer(), fc.double({ min: 0, max: 1e6, noNaN: true })),
        timestamp: fc.oneof(
          fc.integer({ min: -86_400_000, max: 0 }).map((ms) => new Date(NOW + ms).toISOString()),
          fc.string({ maxLength: 30 }),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(eventArb, (input) => {
        const expected = bySchemaOnly(input);
        const got = outcome(checkEvent(input, 0, NOW));
        if (expected === 'invalid') expect(got).toBe('invalid');
        else if (got !== 'too_old' && got !== 'in_future') expect(got).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the schema's messages for bad events", () => {
    const c = checkEvent({ ...base, value: -1, meter: 'cpu' }, 3, NOW);
    expect(c).toEqual({ ok: false, rejection: { index: 3, code: 'invalid', message: expect.stringMatching(/meter: .*; value: /) } });
  });
});
