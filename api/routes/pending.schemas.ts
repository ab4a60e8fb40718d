import { z } from 'zod';
import { strictBody } from '../openapi/route';

/**
 * Request schemas of the seed routes whose behaviour lands with the platform-billing and
 * Connect issues. They validate already, so the contract (and /openapi.json) is fixed now.
 */
const url = z.url();
const currency = z.string().regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as usd');
const metadata = z.record(z.string().min(1).max(40), z.string().max(500)).refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export const appParams = z.object({ app_id: z.string().min(1) });
export const planParams = appParams.extend({ plan_id: z.string().min(1) });
export const productParams = appParams.extend({ product_id: z.string().min(1) });
export const orderParams = appParams.extend({ order_id: z.string().min(1) });

export const onboardBody = strictBody({ refreshUrl: url, returnUrl: url });

export const createPlanBody = strictBody({
  name: z.string().min(1).max(200), description: z.string().max(2000).optional(),
  amount: z.number().int().nonnegative(), currency, interval: z.enum(['day', 'week', 'month', 'year']),
  features: z.array(z.string().min(1).max(200)).max(50).optional(),
});
export const updatePlanBody = createPlanBody.partial();
export const createProductBody = strictBody({
  name: z.string().min(1).max(200), description: z.string().max(2000).optional(),
  amount: z.number().int().nonnegative(), currency, metadata: metadata.optional(),
});
export const updateProductBody = createProductBody.partial();

export const subscribeBody = strictBody({ planId: z.string().min(1), customerId: z.string().min(1).optional(), successUrl: url, cancelUrl: url });
export const cancelBody = strictBody({ customerId: z.string().min(1).optional() });
export const purchaseBody = strictBody({ productId: z.string().min(1), quantity: z.number().int().min(1).max(100).optional(), customerId: z.string().min(1).optional(), successUrl: url, cancelUrl: url });
export const customerQuery = z.object({ customerId: z.string().min(1).optional() });
export const ordersQuery = customerQuery.extend({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) });
