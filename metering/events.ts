import { z } from 'zod';
import { METERS } from '../platform/meters';
import { MAX_FRACTION_DIGITS, fractionDigits, numberText } from './decimal';

export const MAX_BATCH = 10_000;
export const DEDUPE_WINDOW_DAYS = 35;
export const MAX_AGE_MS = DEDUPE_WINDOW_DAYS * 86_400_000;
export const MAX_AHEAD_MS = 5 * 60_000;

// A lone UTF-16 surrogate has no UTF-8 form: ClickHouse refuses it in JSON (a whole batch would
// fail) or stores it differently from the lookup's literal (its retry would count again).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (no lone surrogate)');
// Account and app ids are looked up in Postgres, whose text cannot hold NUL: one such event would
// fail the whole batch. (Event ids only go to ClickHouse, where NUL is fine.)
const tenantId = (max: number) => text(max).refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/** Above 2^53 a JSON number no longer carries the client's digits (and 18.16 garbles Decimals near 1e28). */
export const MAX_VALUE = Number.MAX_SAFE_INTEGER;

export const usageEventSchema = z.strictObject({
  id: text(200),
  accountId: tenantId(64),
  appId: tenantId(64).optional(),
  meter: z.enum(METERS),
  value: z
    .number()
    .finite()
    .nonnegative()
    .max(MAX_VALUE)
    .refine((v) => fractionDigits(v) <= MAX_FRACTION_DIGITS, `at most ${MAX_FRACTION_DIGITS} decimal places`),
  timestamp: z.iso.datetime({ offset: true }),
});
export type UsageEvent = z.infer<typeof usageEventSchema>;

/** Events are checked one by one: one bad event is rejected with its index, the rest go in. */
export const usageBatchSchema = z.strictObject({
  events: z.array(z.unknown()).min(1).max(MAX_BATCH),
});

/** A validated event as stored in ClickHouse (timestamps in whole UTC seconds). */
export interface EventRow {
  account_id: string;
  event_id: string;
  app_id: string;
  meter: string;
  value: string;
  timestamp: number;
  received_at: number;
}

export interface Rejection {
  index: number;
  code: string;
  message: string;
}

export type Checked = { ok: true; row: EventRow } | { ok: false; rejection: Rejection };

const FIELDS = new Set(['id', 'accountId', 'appId', 'meter', 'value', 'timestamp']);
const METER_NAMES: ReadonlySet<unknown> = new Set(METERS);
// The very pattern the schema's z.iso.datetime({ offset: true }) applies.
const DATETIME = z.regexes.datetime({ offset: true });
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max && !LONE_SURROGATE.test(v);
const isTenantId = (v: unknown): v is string => isText(v, 64) && !v.includes('\u0000');

/**
 * The schema's rules written out for the common case, a well-formed event (a tenth of zod's
 * cost, which at 100,000 events/s is a sizeable share of two cores). It only ever says "valid"
 * where the schema does (test/unit/event-check.test.ts); anything else goes through the schema,
 * whose messages the client gets.
 */
function wellFormed(input: unknown): UsageEvent | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const e = input as Record<string, unknown>;
  for (const key in e) if (!FIELDS.has(key)) return undefined;
  const { id, accountId, appId, meter, value, timestamp } = e;
  if (!isText(id, 200) || !isTenantId(accountId) || (appId !== undefined && !isTenantId(appId))) return undefined;
  if (!METER_NAMES.has(meter) || typeof timestamp !== 'string' || !DATETIME.test(timestamp)) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_VALUE)) return undefined;
  if (!Number.isInteger(value) && fractionDigits(value) > MAX_FRACTION_DIGITS) return undefined;
  return e as UsageEvent;
}

export function checkEvent(input: unknown, index: number, now: number): Checked {
  let e = wellFormed(input);
  if (!e) {
    const parsed = usageEventSchema.safeParse(input);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
      return { ok: false, rejection: { index, code: 'invalid', message } };
    }
    e = parsed.data;
  }
  const ts = Date.parse(e.timestamp);
  if (ts < now - MAX_AGE_MS) {
    return { ok: false, rejection: { index, code: 'too_old', message: `timestamp is more than ${DEDUPE_WINDOW_DAYS} days old` } };
  }
  if (ts > now + MAX_AHEAD_MS) {
    return { ok: false, rejection: { index, code: 'in_future', message: 'timestamp is more than 5 minutes ahead' } };
  }
  return {
    ok: true,
    row: {
      account_id: e.accountId,
      event_id: e.id,
      app_id: e.appId ?? '',
      meter: e.meter,
      value: numberText(e.value),
      timestamp: Math.floor(ts / 1000),
      received_at: Math.floor(now / 1000),
    },
  };
}
