import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { shownOnce, withheldSchema } from '../middleware/idempotency';
import { GAUGE_METERS, METERS } from '../../platform/meters';

export const createAccountBody = strictBody({ name: z.string().min(1).max(200), email: z.email().optional() }).meta({
  id: 'NewAccount',
  examples: [{ name: 'Acme', email: 'billing@acme.example' }],
});
export const createAppBody = strictBody({ name: z.string().min(1).max(200) }).meta({ examples: [{ name: 'Acme Notes' }] });
export const createServiceKeyBody = strictBody({ name: z.string().min(1).max(200), scopes: z.array(z.literal('usage:write')).min(1) }).meta({
  examples: [{ name: 'edge-gateway', scopes: ['usage:write'] }],
});
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
  unitAmountCents: z
    .number()
    .finite()
    .nonnegative()
    .max(1e9)
    .refine(decimal9, 'at most 9 decimals')
    .describe('price of one block of usage beyond `included`, in cents (decimals allowed)'),
  blockSize: z.number().int().positive().max(1e12).optional().describe('units per priced block (default 1), e.g. 1000 tokens'),
});
const counterMeters = METERS.filter((m) => !GAUGE_METERS.has(m)) as Exclude<(typeof METERS)[number], 'storage_bytes'>[];

export const upsertPlanBody = strictBody({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  amountCents: z.number().int().nonnegative(),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/)
    .optional(),
  interval: z.enum(['month', 'year']).optional(),
  stripePriceId: z.string().startsWith('price_').optional(),
  limits: z.partialRecord(z.enum(METERS), limitSchema),
  // Counters only: a level (storage) has no amount used "beyond" within a period to sum.
  overage: z
    .partialRecord(z.enum(counterMeters), overageSchema)
    .optional()
    .describe('per meter: included amount and the price of usage beyond it, billed through Stripe meters'),
}).meta({
  id: 'PlanInput',
  examples: [
    {
      name: 'Pro',
      amountCents: 2500,
      currency: 'usd',
      interval: 'month',
      stripePriceId: 'price_1Pro',
      limits: { ai_tokens: { limit: 5000000, mode: 'soft' }, storage_bytes: { limit: 107374182400, mode: 'hard' } },
      overage: { ai_tokens: { included: 5000000, unitAmountCents: 2, blockSize: 1000 } },
    },
  ],
});
export const setPlanBody = strictBody({ planId: z.string().min(1) }).meta({ examples: [{ planId: 'pro' }] });

export const listAccountsQuery = z.object({
  after: z.string().min(1).optional().describe('the last account id of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const accountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    planId: z.string(),
    stripeCustomerId: z.string().nullable(),
    periodStart: z.string().describe('Start of the current billing period (ISO-8601)'),
    periodEnd: z.string(),
    provisioningState: z.enum(['pending', 'done']).describe('pending until the Stripe customer of the account exists'),
    provisioningNote: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Account' });
export const appSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    name: z.string(),
    stripeAccountId: z.string().nullable(),
    chargesEnabled: z.boolean().describe('Stripe has enabled charges on the connected account: subscribe and purchase work'),
    createdAt: z.string(),
  })
  .meta({ id: 'App' });
export const keySchema = z
  .object({ id: z.string(), key: shownOnce('The key; only its hash is stored'), withheld: withheldSchema.optional() })
  .meta({ id: 'IssuedKey', examples: [{ id: 'key_4hx2', key: 'tb_svc_…' }] });
export const jwtSecretSchema = z
  .object({ id: z.string(), jwtSecret: shownOnce('Signs end-user JWTs (HS256)'), withheld: withheldSchema.optional() })
  .meta({ id: 'IssuedJwtSecret' });

const meterLimit = z.object({ limit: z.number(), mode: z.enum(['hard', 'soft']) });
// Decimal strings: exact amounts, never doubles.
const overagePrice = z.object({
  included: z.string(),
  unitAmountCents: z.string(),
  blockSize: z.string(),
  stripePriceId: z.string().nullable().describe('the Stripe Price of the overage, once created'),
});
export const planSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    amountCents: z.number().int(),
    currency: z.string(),
    interval: z.enum(['month', 'year']),
    stripePriceId: z.string().nullable(),
    isDefault: z.boolean(),
    limits: z.partialRecord(z.enum(METERS), meterLimit),
    overage: z.partialRecord(z.enum(METERS), overagePrice).describe('per meter: usage beyond `included` billed through Stripe meters'),
  })
  .meta({ id: 'Plan' });
