import { z } from 'zod';
import { strictBody } from '../openapi/route';

const url = z.url();

export const checkoutBody = strictBody({ planId: z.string().min(1), successUrl: url, cancelUrl: url });
export const portalBody = strictBody({ returnUrl: url });

/** Idempotency-Key header: becomes part of a workflow id, so only id-safe characters. */
export const idempotencyKey = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, '1 to 200 characters of A-Z a-z 0-9 . _ : -').optional();

export const checkoutResponse = z.object({
  checkoutId: z.string(),
  url: z.string(),
  mode: z.enum(['session', 'plan_change']),
  status: z.string().optional(),
});
export const portalResponse = z.object({ url: z.string() });
export const webhookResponse = z.object({ received: z.literal(true), duplicate: z.boolean(), handled: z.boolean() });
