import { z } from 'zod';
import { strictBody } from '../openapi/route';

/**
 * Request and response schemas of the app-billing (Stripe Connect) routes. Everything Stripe
 * would refuse is refused here first, naming the field, so a bad write reaches neither the
 * database nor Stripe.
 */
const url = z.url();
// Postgres text cannot hold NUL: refused here, before a workflow makes Stripe objects that
// the database write would then orphan.
const text = () => z.string().refine((v) => !v.includes('\u0000'), 'must not contain NUL (\\u0000)');
// ISO 4217 codes the runtime knows; Stripe takes lowercase. A well-formed but unknown code
// ("xyz") is a 400 here rather than a Stripe error later.
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));
const currency = z.string().regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as usd')
  .refine((c) => ISO_CURRENCIES.has(c), 'unknown currency');
// Stripe's unit_amount ceiling (eight digits in the smallest unit).
const amount = z.number().int().nonnegative().max(99_999_999);
// Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500.
const metadata = z.record(text().min(1).max(40), text().max(500)).refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export const appParams = z.object({ app_id: z.string().min(1) });
export const planParams = appParams.extend({ plan_id: z.string().min(1) });
export const productParams = appParams.extend({ product_id: z.string().min(1) });
export const orderParams = appParams.extend({ order_id: z.string().min(1) });

export const onboardBody = strictBody({ refreshUrl: url, returnUrl: url });

export const createPlanBody = strictBody({
  name: text().min(1).max(200), description: text().max(2000).optional(),
  amount, currency, interval: z.enum(['day', 'week', 'month', 'year']),
  features: z.array(text().min(1).max(80)).max(15).optional(),
});
export const updatePlanBody = createPlanBody.partial();
export const createProductBody = strictBody({
  name: text().min(1).max(200), description: text().max(2000).optional(),
  amount, currency, metadata: metadata.optional(),
});
export const updateProductBody = createProductBody.partial();

export const subscribeBody = strictBody({ planId: text().min(1), customerId: text().min(1).optional(), successUrl: url, cancelUrl: url });
export const cancelBody = strictBody({ customerId: text().min(1).optional() });
export const purchaseBody = strictBody({ productId: text().min(1), quantity: z.number().int().min(1).max(100).optional(), customerId: text().min(1).optional(), successUrl: url, cancelUrl: url });
export const customerQuery = z.object({ customerId: text().min(1).optional() });
export const ordersQuery = customerQuery.extend({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) });

export const onboardResponse = z.object({ stripeAccountId: z.string(), url: z.string(), expiresAt: z.string(), accountCreated: z.boolean() });
export const statusResponse = z.object({
  onboardingStarted: z.boolean(), stripeAccountId: z.string().nullable(), charges_enabled: z.boolean(), payouts_enabled: z.boolean(),
  details_submitted: z.boolean(), requirements: z.object({ currently_due: z.array(z.string()) }),
});
export const checkoutResponse = z.object({ url: z.string(), sessionId: z.string(), orderId: z.string().optional() });
