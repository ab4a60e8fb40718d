import { idempotencyKeyHeader } from '../middleware/idempotency';
import { z } from 'zod';
import { strictBody } from '../openapi/route';

const url = z.url();

export const checkoutBody = strictBody({ planId: z.string().min(1), successUrl: url, cancelUrl: url });
export const portalBody = strictBody({ returnUrl: url });

/** Idempotency-Key header: becomes part of a workflow id (the middleware checked it already). */
export const idempotencyKey = idempotencyKeyHeader.optional();

export const checkoutResponse = z.object({
  checkoutId: z.string(),
  url: z.string(),
  mode: z.enum(['session', 'plan_change']),
  status: z.string().optional(),
});
export const portalResponse = z.object({ url: z.string() });
export const webhookResponse = z.object({ received: z.literal(true), duplicate: z.boolean(), handled: z.boolean() });
