import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';
import { usageBatchSchema } from '../../metering/events';

export const ingestBody = usageBatchSchema;
export const ingestResponse = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), code: z.string(), message: z.string() })),
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
