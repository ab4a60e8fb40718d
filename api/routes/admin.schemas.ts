import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { GAUGE_METERS, METERS } from '../../platform/meters';

export const createAccountBody = strictBody({ name: z.string().min(1).max(200), email: z.email().optional() });
export const createAppBody = strictBody({ name: z.string().min(1).max(200) });
export const createServiceKeyBody = strictBody({ name: z.string().min(1).max(200), scopes: z.array(z.literal('usage:write')).min(1) });
export const accountParams = z.object({ accountId: z.string().min(1) });
export const keyParams = z.object({ keyId: z.string().min(1) });
export const appParams = z.object({ appId: z.string().min(1) });
export const jwtSecretParams = appParams.extend({ jwtSecretId: z.string().min(1) });
export const planParams = z.object({ planId: z.string().regex(/^[a-z0-9_-]{1,64}$/) });

const limitSchema = z.strictObject({ limit: z.number().finite().nonnegative(), mode: z.enum(['hard', 'soft']) });
// Up to 9 decimals, like usage values: the cap and price arithmetic stays exact in nanounits.
const decimal9 = (n: number) => Number.isInteger(n * 1e9) || /^\d+(\.\d{1,9})?$/.test(String(n));
const overageSchema = z.strictObject({
  included: z.number().finite().nonnegative().refine(decimal9, 'at most 9 decimals'),
  unitAmountCents: z.number().finite().nonnegative().max(1e9).refine(decimal9, 'at most 9 decimals')
    .describe('price of one block of usage beyond `included`, in cents (decimals allowed)'),
  blockSize: z.number().int().positive().max(1e12).optional().describe('units per priced block (default 1), e.g. 1000 tokens'),
});
const counterMeters = METERS.filter((m) => !GAUGE_METERS.has(m)) as Exclude<(typeof METERS)[number], 'storage_bytes'>[];

export const upsertPlanBody = strictBody({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().regex(/^[a-z]{3}$/).optional(),
  interval: z.enum(['month', 'year']).optional(),
  stripePriceId: z.string().startsWith('price_').optional(),
  limits: z.partialRecord(z.enum(METERS), limitSchema),
  // Counters only: a level (storage) has no amount used "beyond" within a period to sum.
  overage: z.partialRecord(z.enum(counterMeters), overageSchema).optional()
    .describe('per meter: included amount and the price of usage beyond it, billed through Stripe meters'),
});
export const setPlanBody = strictBody({ planId: z.string().min(1) });

export const listAccountsQuery = z.object({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const accountSchema = z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), planId: z.string(), stripeCustomerId: z.string().nullable(), periodStart: z.string(), periodEnd: z.string(), provisioningState: z.string(), provisioningNote: z.string().nullable(), createdAt: z.string() });
export const appSchema = z.object({ id: z.string(), accountId: z.string(), name: z.string(), stripeAccountId: z.string().nullable(), createdAt: z.string() });
