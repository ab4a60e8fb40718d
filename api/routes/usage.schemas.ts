import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';
import { MAX_VALUE, usageBatchSchema } from '../../metering/events';
import { MAX_FRACTION_DIGITS, fractionDigits } from '../../metering/decimal';
import { DEFAULT_RESERVATION_TTL_S, MAX_RESERVATION_TTL_S } from '../../metering/limits';

export const ingestBody = usageBatchSchema;
export const ingestResponse = z.object({
  accepted: z.number().int().describe('events counted by this request'),
  duplicates: z.number().int().describe('events whose (accountId, id) was already received, in this batch or before, with the same payload: counted once, by the first'),
  rejected: z.array(z.object({
    index: z.number().int().describe('position of the event in `events`'),
    code: z.enum(['invalid', 'too_old', 'in_future', 'unknown_account', 'unknown_app', 'conflict']).describe(
      '`invalid`: fails the schema (the message names the field); `too_old`: timestamp more than 35 days ago; ' +
      '`in_future`: more than 5 minutes ahead; `unknown_account` / `unknown_app`: no such account, or not an app of it; ' +
      '`conflict`: its (accountId, id) was already received within the 35-day window with another value, meter, ' +
      'timestamp or appId (the message names each field that differs, first and now). The first payload stays counted; ' +
      'the conflicting one is not counted.'),
    message: z.string(),
  })).describe('events not counted, each with its index and why; the rest of the batch is unaffected'),
});

const usageAmount = z.number().finite().nonnegative().max(MAX_VALUE)
  .refine((v) => fractionDigits(v) <= MAX_FRACTION_DIGITS, `at most ${MAX_FRACTION_DIGITS} decimal places`);

export const checkBody = strictBody({
  accountId: z.string().min(1),
  meter: z.enum(METERS),
  amount: usageAmount,
  reserve: z.boolean().optional().describe('false: only ask, admit nothing. Default true: an allowed amount of a limited counter is reserved'),
  ttlSeconds: z.number().int().min(1).max(MAX_RESERVATION_TTL_S).optional()
    .describe(`How long the reservation holds its units unless committed, released or settled by its usage event (default ${DEFAULT_RESERVATION_TTL_S})`),
});
export const checkResponse = z.object({
  allowed: z.boolean(),
  used: z.number().describe('Metered usage of the period (lags ingestion by at most 1 s) plus the units held by open reservations'),
  limit: z.number().nullable(),
  remaining: z.number().nullable().describe('limit - used, at least 0; null without a limit'),
  mode: z.enum(['hard', 'soft', 'none']),
  reservationId: z.string().optional().describe('When the amount was reserved: send the usage event with this id to settle it, or commit / release it'),
  expiresAt: z.string().optional().describe('When the reservation frees its units if nothing settles it'),
});

export const reservationParams = z.object({ reservationId: z.string().min(1).max(64) });
export const commitBody = strictBody({ amount: usageAmount.describe('The amount actually used, at most the reserved amount') });
export const reservationResponse = z.object({
  reservationId: z.string(), status: z.enum(['committed', 'released']), amount: z.number(), expiresAt: z.string(),
});
