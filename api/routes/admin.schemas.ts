import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';

export const createAccountBody = strictBody({ name: z.string().min(1).max(200), email: z.email().optional() })
  .meta({ id: 'NewAccount', examples: [{ name: 'Acme', email: 'billing@acme.example' }] });
export const createAppBody = strictBody({ name: z.string().min(1).max(200) }).meta({ examples: [{ name: 'Acme Notes' }] });
export const createServiceKeyBody = strictBody({ name: z.string().min(1).max(200), scopes: z.array(z.literal('usage:write')).min(1) })
  .meta({ examples: [{ name: 'edge-gateway', scopes: ['usage:write'] }] });
export const accountParams = z.object({ accountId: z.string().min(1) });
export const keyParams = z.object({ keyId: z.string().min(1) });
export const planParams = z.object({ planId: z.string().regex(/^[a-z0-9_-]{1,64}$/) });

const limitSchema = z.strictObject({ limit: z.number().finite().nonnegative(), mode: z.enum(['hard', 'soft']) });
export const upsertPlanBody = strictBody({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  amountCents: z.number().int().nonnegative(),
  currency: z.string().regex(/^[a-z]{3}$/).optional(),
  interval: z.enum(['month', 'year']).optional(),
  stripePriceId: z.string().startsWith('price_').optional(),
  limits: z.partialRecord(z.enum(METERS), limitSchema),
}).meta({
  id: 'PlanInput',
  examples: [{ name: 'Pro', amountCents: 2500, currency: 'usd', interval: 'month', stripePriceId: 'price_1Pro', limits: { ai_tokens: { limit: 5000000, mode: 'soft' }, storage_bytes: { limit: 107374182400, mode: 'hard' } } }],
});
export const setPlanBody = strictBody({ planId: z.string().min(1) }).meta({ examples: [{ planId: 'pro' }] });

export const accountSchema = z.object({
  id: z.string(), name: z.string(), email: z.string().nullable(), planId: z.string(), stripeCustomerId: z.string().nullable(),
  periodStart: z.string().describe('Start of the current billing period (ISO-8601)'), periodEnd: z.string(),
  provisioningState: z.enum(['pending', 'done']).describe('pending until the Stripe customer of the account exists'), provisioningNote: z.string().nullable(), createdAt: z.string(),
}).meta({ id: 'Account' });
export const appSchema = z.object({ id: z.string(), accountId: z.string(), name: z.string(), stripeAccountId: z.string().nullable(), createdAt: z.string() }).meta({ id: 'App' });
export const keySchema = z.object({ id: z.string(), key: z.string().describe('Shown once; only its hash is stored') }).meta({ id: 'IssuedKey', examples: [{ id: 'key_4hx2', key: 'tb_svc_…' }] });

const meterLimit = z.object({ limit: z.number(), mode: z.enum(['hard', 'soft']) });
export const planSchema = z.object({
  id: z.string(), name: z.string(), description: z.string(), amountCents: z.number().int(), currency: z.string(), interval: z.enum(['month', 'year']),
  stripePriceId: z.string().nullable(), isDefault: z.boolean(), limits: z.partialRecord(z.enum(METERS), meterLimit),
}).meta({ id: 'Plan' });
