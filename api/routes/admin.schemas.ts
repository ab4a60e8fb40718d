import { z } from 'zod';
import { strictBody } from '../openapi/route';
import { METERS } from '../../platform/meters';

export const createAccountBody = strictBody({ name: z.string().min(1).max(200), email: z.email().optional() });
export const createAppBody = strictBody({ name: z.string().min(1).max(200) });
export const createServiceKeyBody = strictBody({ name: z.string().min(1).max(200), scopes: z.array(z.literal('usage:write')).min(1) });
export const accountParams = z.object({ accountId: z.string().min(1) });
export const keyParams = z.object({ keyId: z.string().min(1) });
export const appParams = z.object({ appId: z.string().min(1) });
export const jwtSecretParams = appParams.extend({ jwtSecretId: z.string().min(1) });
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
});
export const setPlanBody = strictBody({ planId: z.string().min(1) });

export const accountSchema = z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), planId: z.string(), stripeCustomerId: z.string().nullable(), periodStart: z.string(), periodEnd: z.string(), provisioningState: z.string(), provisioningNote: z.string().nullable(), createdAt: z.string() });
export const appSchema = z.object({ id: z.string(), accountId: z.string(), name: z.string(), stripeAccountId: z.string().nullable(), createdAt: z.string() });
