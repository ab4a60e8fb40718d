import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';
import { MAX_BATCH, MAX_VALUE, DEDUPE_WINDOW_DAYS, usageBatchSchema, usageEventSchema } from '../../metering/events';
import { MAX_FRACTION_DIGITS, fractionDigits } from '../../metering/decimal';
import { DEFAULT_RESERVATION_TTL_S, MAX_RESERVATION_TTL_S } from '../../metering/limits';

/** Validated as a batch of anything: each event is checked on its own (metering/events.ts). */
export const ingestBody = usageBatchSchema;

const ev = usageEventSchema.shape;
/** The event as the reference documents it; the same field schemas validate each event. */
export const usageEventDoc = z
  .strictObject({
    id: ev.id.describe(
      `Your id for the event, unique per account: the same id and payload again within ${DEDUPE_WINDOW_DAYS} days is a duplicate and counts once; another payload under it is rejected (conflict)`,
    ),
    accountId: ev.accountId.describe('The account whose usage this is'),
    appId: ev.appId.describe("One of the account's apps, for usage per app"),
    meter: ev.meter.describe('storage_bytes is a gauge (each event is a reading of the bytes stored now); the others are counters (summed)'),
    value: ev.value.describe(`A finite number >= 0, at most 2^53 - 1, at most ${MAX_FRACTION_DIGITS} decimal places`),
    timestamp: ev.timestamp.describe(`When it was used: ISO-8601 with an offset, at most ${DEDUPE_WINDOW_DAYS} days old and 5 minutes ahead`),
  })
  .meta({
    id: 'UsageEvent',
    examples: [{ id: 'evt-7f3a', accountId: 'acct_9n2k', meter: 'ai_tokens', value: 1200, timestamp: '2026-11-26T10:00:00Z' }],
  });

export const ingestBodyDoc = z
  .strictObject({
    events: z
      .array(usageEventDoc)
      .min(1)
      .max(MAX_BATCH)
      .describe(`1 to ${MAX_BATCH} events. Each is checked on its own: an invalid event is answered in rejected with its index, the others are stored`),
  })
  .meta({
    id: 'UsageBatch',
    examples: [
      {
        events: [
          { id: 'evt-7f3a', accountId: 'acct_9n2k', meter: 'ai_tokens', value: 1200, timestamp: '2026-11-26T10:00:00Z' },
          { id: 'evt-7f3b', accountId: 'acct_9n2k', appId: 'app_3xq1', meter: 'storage_bytes', value: 2147483648, timestamp: '2026-11-26T10:00:05Z' },
        ],
      },
    ],
  });

export const ingestResponse = z
  .object({
    accepted: z.number().int().describe('events counted by this request'),
    duplicates: z
      .number()
      .int()
      .describe('events whose (accountId, id) was already received, in this batch or before, with the same payload: counted once, by the first'),
    rejected: z
      .array(
        z.object({
          index: z.number().int().describe('position of the event in `events`'),
          code: z
            .enum(['invalid', 'too_old', 'in_future', 'unknown_account', 'unknown_app', 'conflict'])
            .describe(
              '`invalid`: fails the schema (the message names the field); `too_old`: timestamp more than 35 days ago; ' +
                '`in_future`: more than 5 minutes ahead; `unknown_account` / `unknown_app`: no such account, or not an app of it; ' +
                '`conflict`: its (accountId, id) was already received within the 35-day window with another value, meter, ' +
                'timestamp or appId (the message names each field that differs, first and now). The first payload stays counted; ' +
                'the conflicting one is not counted.',
            ),
          message: z.string(),
        }),
      )
      .describe('events not counted, each with its index and why; the rest of the batch is unaffected'),
  })
  .meta({
    id: 'IngestResult',
    examples: [{ accepted: 1, duplicates: 0, rejected: [{ index: 1, code: 'too_old', message: 'timestamp is more than 35 days old' }] }],
  });

const usageAmount = z
  .number()
  .finite()
  .nonnegative()
  .max(MAX_VALUE)
  .refine((v) => fractionDigits(v) <= MAX_FRACTION_DIGITS, `at most ${MAX_FRACTION_DIGITS} decimal places`);

export const checkBody = strictBody({
  accountId: z.string().min(1),
  meter: z.enum(METERS),
  amount: usageAmount.describe('How much more the caller is about to use'),
  reserve: z.boolean().optional().describe('false: only ask, admit nothing. Default true: an allowed amount of a limited counter is reserved'),
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_RESERVATION_TTL_S)
    .optional()
    .describe(`How long the reservation holds its units unless committed, released or settled by its usage event (default ${DEFAULT_RESERVATION_TTL_S})`),
}).meta({ id: 'LimitCheck', examples: [{ accountId: 'acct_9n2k', meter: 'ai_tokens', amount: 500, ttlSeconds: 60 }] });

export const checkResponse = z
  .object({
    allowed: z.boolean(),
    used: z.number().describe('Metered usage of the period (lags ingestion by at most 1 s) plus the units held by open reservations'),
    limit: z.number().nullable().describe('null: the plan has no limit on this meter'),
    remaining: z.number().nullable().describe('limit - used, at least 0; null without a limit'),
    mode: z.enum(['hard', 'soft', 'none']).describe('hard: denied once reached; soft: allowed, overage counted'),
    reservationId: z.string().optional().describe('When the amount was reserved: send the usage event with this id to settle it, or commit / release it'),
    expiresAt: z.string().optional().describe('When the reservation frees its units if nothing settles it'),
  })
  .meta({
    id: 'LimitDecision',
    examples: [{ allowed: true, used: 2500, limit: 10000, remaining: 7500, mode: 'hard', reservationId: 'rsv_2b7c9e', expiresAt: '2026-11-26T10:01:00.000Z' }],
  });

export const reservationParams = z.object({ reservationId: z.string().min(1).max(64) });
export const commitBody = strictBody({ amount: usageAmount.describe('The amount actually used, at most the reserved amount') }).meta({
  examples: [{ amount: 420 }],
});
export const reservationResponse = z
  .object({
    reservationId: z.string(),
    status: z.enum(['committed', 'released']),
    amount: z.number(),
    expiresAt: z.string(),
  })
  .meta({ id: 'Reservation', examples: [{ reservationId: 'rsv_2b7c9e', status: 'committed', amount: 420, expiresAt: '2026-11-26T10:01:00.000Z' }] });
