import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';
import { MAX_BATCH, DEDUPE_WINDOW_DAYS, usageBatchSchema, usageEventSchema } from '../../metering/events';
import { MAX_FRACTION_DIGITS } from '../../metering/decimal';

/** Validated as a batch of anything: each event is checked on its own (metering/events.ts). */
export const ingestBody = usageBatchSchema;

const ev = usageEventSchema.shape;
/** The event as the reference documents it; the same field schemas validate each event. */
export const usageEventDoc = z.strictObject({
  id: ev.id.describe(`Your id for the event, unique per account: the same id again within ${DEDUPE_WINDOW_DAYS} days is a duplicate and counts once`),
  accountId: ev.accountId.describe('The account whose usage this is'),
  appId: ev.appId.describe('One of the account\'s apps, for usage per app'),
  meter: ev.meter.describe('storage_bytes is a gauge (each event is a reading of the bytes stored now); the others are counters (summed)'),
  value: ev.value.describe(`A finite number >= 0, at most 2^53 - 1, at most ${MAX_FRACTION_DIGITS} decimal places`),
  timestamp: ev.timestamp.describe(`When it was used: ISO-8601 with an offset, at most ${DEDUPE_WINDOW_DAYS} days old and 5 minutes ahead`),
}).meta({
  id: 'UsageEvent',
  examples: [{ id: 'evt-7f3a', accountId: 'acct_9n2k', meter: 'ai_tokens', value: 1200, timestamp: '2026-11-26T10:00:00Z' }],
});

export const ingestBodyDoc = z.strictObject({
  events: z.array(usageEventDoc).min(1).max(MAX_BATCH)
    .describe(`1 to ${MAX_BATCH} events. Each is checked on its own: an invalid event is answered in rejected with its index, the others are stored`),
}).meta({
  id: 'UsageBatch',
  examples: [{
    events: [
      { id: 'evt-7f3a', accountId: 'acct_9n2k', meter: 'ai_tokens', value: 1200, timestamp: '2026-11-26T10:00:00Z' },
      { id: 'evt-7f3b', accountId: 'acct_9n2k', appId: 'app_3xq1', meter: 'storage_bytes', value: 2147483648, timestamp: '2026-11-26T10:00:05Z' },
    ],
  }],
});

export const ingestResponse = z.object({
  accepted: z.number().int().describe('Events stored now'),
  duplicates: z.number().int().describe('Events whose (accountId, id) was already stored: not counted again'),
  rejected: z.array(z.object({
    index: z.number().int().describe('Position of the event in the batch'),
    code: z.enum(['invalid', 'too_old', 'in_future', 'unknown_account', 'unknown_app']),
    message: z.string(),
  })),
}).meta({
  id: 'IngestResult',
  examples: [{ accepted: 1, duplicates: 0, rejected: [{ index: 1, code: 'too_old', message: 'timestamp is more than 35 days old' }] }],
});

export const checkBody = strictBody({
  accountId: z.string().min(1),
  meter: z.enum(METERS),
  amount: z.number().finite().nonnegative().describe('How much more the caller is about to use'),
  reserve: z.boolean().optional().describe('Default true: an allowed amount is reserved (counted). false: only ask'),
}).meta({ id: 'LimitCheck', examples: [{ accountId: 'acct_9n2k', meter: 'ai_tokens', amount: 500 }] });

export const checkResponse = z.object({
  allowed: z.boolean(), used: z.number().describe('Used this billing period, with what this check admitted'),
  limit: z.number().nullable().describe('null: the plan has no limit on this meter'), remaining: z.number().nullable(),
  mode: z.enum(['hard', 'soft', 'none']).describe('hard: denied once reached; soft: allowed, overage counted'),
}).meta({ id: 'LimitDecision', examples: [{ allowed: true, used: 2500, limit: 10000, remaining: 7500, mode: 'hard' }] });
