import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';
import { usageBatchSchema } from '../../metering/events';

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

export const checkBody = strictBody({
  accountId: z.string().min(1),
  meter: z.enum(METERS),
  amount: z.number().finite().nonnegative(),
  /** false: only ask, admit nothing. Default true: an allowed amount is reserved. */
  reserve: z.boolean().optional(),
});
export const checkResponse = z.object({
  allowed: z.boolean(), used: z.number(), limit: z.number().nullable(), remaining: z.number().nullable(), mode: z.enum(['hard', 'soft', 'none']),
});
