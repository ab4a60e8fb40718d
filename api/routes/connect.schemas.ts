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
const currency = z
  .string()
  .regex(/^[a-z]{3}$/, 'a lowercase ISO 4217 code such as usd')
  .refine((c) => ISO_CURRENCIES.has(c), 'unknown currency');
// Stripe's unit_amount ceiling (eight digits in the smallest unit).
const amount = z.number().int().nonnegative().max(99_999_999);
// Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500.
const metadata = z.record(text().min(1).max(40), text().max(500)).refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export const appParams = z.object({ app_id: z.string().min(1) });
export const planParams = appParams.extend({ plan_id: z.string().min(1) });
export const productParams = appParams.extend({ product_id: z.string().min(1) });
export const orderParams = appParams.extend({ order_id: z.string().min(1) });

export const onboardBody = strictBody({ refreshUrl: url, returnUrl: url }).meta({
  examples: [{ refreshUrl: 'https://app.example/connect/refresh', returnUrl: 'https://app.example/connect/done' }],
});

const planFields = strictBody({
  name: text().min(1).max(200),
  description: text().max(2000).optional(),
  amount,
  currency,
  interval: z.enum(['day', 'week', 'month', 'year']),
  features: z.array(text().min(1).max(80)).max(15).optional(),
});
export const createPlanBody = planFields.meta({
  id: 'AppPlanInput',
  examples: [{ name: 'Plus', amount: 900, currency: 'usd', interval: 'month', features: ['Unlimited notes'] }],
});
export const updatePlanBody = planFields.partial().meta({ examples: [{ amount: 1200 }] });
const productFields = strictBody({
  name: text().min(1).max(200),
  description: text().max(2000).optional(),
  amount,
  currency,
  metadata: metadata.optional(),
});
export const createProductBody = productFields.meta({ id: 'AppProductInput', examples: [{ name: 'Theme pack', amount: 499, currency: 'usd' }] });
export const updateProductBody = productFields.partial().meta({ examples: [{ name: 'Theme pack (2026)' }] });

const customerId = text().min(1).optional().describe('Required with the app secret key (acting for that customer); ignored with an end-user JWT');
export const subscribeBody = strictBody({ planId: text().min(1), customerId, successUrl: url, cancelUrl: url }).meta({
  examples: [{ planId: 'plan_4kq', customerId: 'user_42', successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' }],
});
export const cancelBody = strictBody({ customerId }).meta({ examples: [{ customerId: 'user_42' }] });
export const purchaseBody = strictBody({
  productId: text().min(1),
  quantity: z.number().int().min(1).max(100).optional(),
  customerId,
  successUrl: url,
  cancelUrl: url,
}).meta({
  examples: [{ productId: 'prod_7ya', quantity: 1, customerId: 'user_42', successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' }],
});
export const customerQuery = z.object({ customerId });
export const ordersQuery = customerQuery.extend({
  cursor: z.string().optional().describe('nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const onboardResponse = z
  .object({ stripeAccountId: z.string(), url: z.string().describe("Send the app's developer here"), expiresAt: z.string(), accountCreated: z.boolean() })
  .meta({
    examples: [
      { stripeAccountId: 'acct_1Qx', url: 'https://connect.stripe.com/setup/s/acct_1Qx/abc', expiresAt: '2026-11-26T10:05:00.000Z', accountCreated: true },
    ],
  });
export const statusResponse = z.object({
  onboardingStarted: z.boolean(),
  stripeAccountId: z.string().nullable(),
  charges_enabled: z.boolean(),
  payouts_enabled: z.boolean(),
  details_submitted: z.boolean(),
  requirements: z.object({ currently_due: z.array(z.string()) }),
});
export const checkoutResponse = z
  .object({
    url: z.string().describe("Stripe Checkout on the app's connected account"),
    sessionId: z.string(),
    orderId: z.string().optional().describe('purchase: the pending order'),
  })
  .meta({ id: 'AppCheckout', examples: [{ url: 'https://checkout.stripe.com/c/pay/cs_test_b2', sessionId: 'cs_test_b2', orderId: 'ord_3mz' }] });

const stamps = { createdAt: z.string(), updatedAt: z.string() };
export const appPlanSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    name: z.string(),
    description: z.string(),
    amount: z.number().int().describe('In the smallest currency unit'),
    currency: z.string(),
    interval: z.enum(['day', 'week', 'month', 'year']),
    features: z.array(z.string()),
    active: z.boolean(),
    stripeProductId: z.string(),
    stripePriceId: z.string(),
    ...stamps,
  })
  .meta({ id: 'AppPlan' });
export const appProductSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    name: z.string(),
    description: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    metadata: z.record(z.string(), z.string()),
    active: z.boolean(),
    stripeProductId: z.string(),
    stripePriceId: z.string(),
    ...stamps,
  })
  .meta({ id: 'AppProduct' });
export const appSubscriptionSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    customerId: z.string().nullable(),
    planId: z.string().nullable(),
    status: z.string(),
    cancelAtPeriodEnd: z.boolean(),
    currentPeriodStart: z.string().nullable(),
    currentPeriodEnd: z.string().nullable(),
    lastEventCreated: z.number(),
    updatedAt: z.string(),
  })
  .meta({ id: 'AppSubscription' });
export const orderSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    customerId: z.string(),
    productId: z.string(),
    quantity: z.number().int(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.enum(['pending', 'paid', 'failed', 'refunded', 'partially_refunded']),
    amountRefunded: z.number().int(),
    stripeSessionId: z.string().nullable(),
    paymentIntent: z.string().nullable(),
    ...stamps,
  })
  .meta({ id: 'Order' });
