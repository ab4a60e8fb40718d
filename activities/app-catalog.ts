import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/pg';
import { getAppPlan, insertAppPlan, updateAppPlan, type AppPlan, type PlanInterval } from '../db/app-plans';
import { getAppProduct, insertAppProduct, updateAppProduct, type AppProduct } from '../db/app-products';
import { connectStripe } from './connect-stripe';

export interface PlanFields {
  name: string;
  description?: string;
  amount: number;
  currency: string;
  interval: PlanInterval;
  features?: string[];
}
export interface ProductFields {
  name: string;
  description?: string;
  amount: number;
  currency: string;
  metadata?: Record<string, string>;
}

/** What a Price fixes: a change of any of them needs a new Price. No interval: a one-time Price. */
type PriceTerms = { amount: number; currency: string; interval?: PlanInterval };

/** The columns a plan and a product share, as created (no description: an empty one). */
const itemColumns = (f: PriceTerms & { name: string; description?: string }) => ({
  name: f.name,
  description: f.description ?? '',
  amount: f.amount,
  currency: f.currency,
});

/** A change of an item that is gone fails for good: retrying cannot bring it back. */
const found = <T>(item: T | undefined, what: 'Plan' | 'Product', id: string): T => {
  if (!item) throw ApplicationFailure.nonRetryable(`${what} ${id} not found`, 'NotFound');
  return item;
};

const features = (list: string[] | undefined) => list && { marketing_features: list.map((name) => ({ name })) };
// Stripe refuses an empty description on create; on update '' clears it.
const describe = (d: string | undefined, create: boolean) => (d === undefined || (create && d === '') ? {} : { description: d });

/**
 * The app's catalogue as Stripe objects on its connected account: a plan is a Product with a
 * recurring Price, a product a Product with a one-time Price. Prices cannot change amount in
 * Stripe, so a new amount is a new Price and the old one is archived (its subscribers keep it).
 * `key` is the workflow's business key: retries reuse it and make no second object.
 */
export function createAppCatalogActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast, accountOf } = connectStripe(deps);

  const newPrice = async (acct: string, key: string, p: PriceTerms & { productId: string; meta: Record<string, string> }) =>
    (
      await rejectedFast(() =>
        stripe().prices.create(
          {
            product: p.productId,
            unit_amount: p.amount,
            currency: p.currency,
            metadata: p.meta,
            ...(p.interval && { recurring: { interval: p.interval } }),
          },
          { stripeAccount: acct, idempotencyKey: `${key}:price` },
        ),
      )
    ).id;
  /** A new plan's or product's Stripe objects: its Product, then the Product's first Price. */
  const newProductWithPrice = async (acct: string, key: string, product: Stripe.ProductCreateParams, price: PriceTerms & { meta: Record<string, string> }) => {
    const { id: productId } = await rejectedFast(() => stripe().products.create(product, { stripeAccount: acct, idempotencyKey: `${key}:product` }));
    return { stripeProductId: productId, stripePriceId: await newPrice(acct, key, { productId, ...price }) };
  };
  // Updates carry the change's key too: a retried activity repeats the same request, so Stripe
  // answers it from its idempotency cache instead of applying it again.
  const archivePrice = (acct: string, key: string, priceId: string) =>
    rejectedFast(() => stripe().prices.update(priceId, { active: false }, { stripeAccount: acct, idempotencyKey: `${key}:archive:${priceId}` }));
  /** The Product's name and description as changed, with the plan's or product's own fields. */
  const updateProduct = (acct: string, key: string, id: string, f: { name?: string; description?: string }, own: Stripe.ProductUpdateParams | undefined) => {
    const params = { ...(f.name && { name: f.name }), ...describe(f.description, false), ...own };
    return Object.keys(params).length
      ? rejectedFast(() => stripe().products.update(id, params, { stripeAccount: acct, idempotencyKey: `${key}:product-update` }))
      : undefined;
  };
  /** A new Price when the price terms changed (the old one archived); undefined when they did not. */
  const repriced = async (
    acct: string,
    key: string,
    item: PriceTerms & { stripeProductId: string; stripePriceId: string },
    next: PriceTerms,
    meta: Record<string, string>,
  ): Promise<string | undefined> => {
    if (!(Object.keys(next) as (keyof PriceTerms)[]).some((k) => next[k] !== item[k])) return undefined;
    const stripePriceId = await newPrice(acct, key, { productId: item.stripeProductId, ...next, meta });
    await archivePrice(acct, key, item.stripePriceId);
    return stripePriceId;
  };

  return {
    async createAppPlan(input: { appId: string; planId: string; key: string; fields: PlanFields }): Promise<AppPlan> {
      const acct = await accountOf(input.appId);
      const f = input.fields;
      const meta = { appId: input.appId, planId: input.planId };
      const objects = await newProductWithPrice(
        acct,
        input.key,
        { name: f.name, ...describe(f.description, true), ...features(f.features), metadata: meta },
        { amount: f.amount, currency: f.currency, interval: f.interval, meta },
      );
      return insertAppPlan(deps.db, {
        id: input.planId,
        appId: input.appId,
        ...objects,
        ...itemColumns(f),
        interval: f.interval,
        features: f.features ?? [],
      });
    },

    async updateAppPlan(input: { appId: string; planId: string; key: string; fields: Partial<PlanFields> }): Promise<AppPlan> {
      const acct = await accountOf(input.appId);
      const plan = found(await getAppPlan(deps.db, input.appId, input.planId), 'Plan', input.planId);
      const f = input.fields;
      await updateProduct(acct, input.key, plan.stripeProductId, f, features(f.features));
      const next = { amount: f.amount ?? plan.amount, currency: f.currency ?? plan.currency, interval: f.interval ?? plan.interval };
      const stripePriceId = await repriced(acct, input.key, plan, next, { appId: input.appId, planId: plan.id });
      return (await updateAppPlan(deps.db, input.appId, input.planId, { ...f, ...next, stripePriceId }))!;
    },

    async createAppProduct(input: { appId: string; productId: string; key: string; fields: ProductFields }): Promise<AppProduct> {
      const acct = await accountOf(input.appId);
      const f = input.fields;
      // The app's own metadata only: Stripe's 50-key limit is the app's to use.
      const meta = f.metadata ?? {};
      const objects = await newProductWithPrice(
        acct,
        input.key,
        { name: f.name, ...describe(f.description, true), metadata: meta },
        { amount: f.amount, currency: f.currency, meta: { appId: input.appId, productId: input.productId } },
      );
      return insertAppProduct(deps.db, {
        id: input.productId,
        appId: input.appId,
        ...objects,
        ...itemColumns(f),
        metadata: f.metadata ?? {},
      });
    },

    async updateAppProduct(input: { appId: string; productId: string; key: string; fields: Partial<ProductFields> }): Promise<AppProduct> {
      const acct = await accountOf(input.appId);
      const product = found(await getAppProduct(deps.db, input.appId, input.productId), 'Product', input.productId);
      const f = input.fields;
      await updateProduct(acct, input.key, product.stripeProductId, f, f.metadata && { metadata: f.metadata });
      const next = { amount: f.amount ?? product.amount, currency: f.currency ?? product.currency };
      const stripePriceId = await repriced(acct, input.key, product, next, { appId: input.appId, productId: product.id });
      return (await updateAppProduct(deps.db, input.appId, input.productId, { ...f, ...next, stripePriceId }))!;
    },
  };
}
