import Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';
import { stripeCalls } from './stripe-calls';
import { getPlan } from '../db/plans';
import { saveStripeBillingMeter, setOverageStripePrice, stripeBillingMeter } from '../db/overage-prices';

export const meterEventName = (meter: Meter) => `tollbooth_${meter}`;

/**
 * The Stripe side of overage billing: one Billing Meter per meter of ours, one metered Price per
 * plan and meter, meter events, invoice previews. Creations carry idempotency keys built from
 * business keys and their ids are stored, so a retry or a second worker makes no second object.
 */
export function createOverageStripe(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast } = stripeCalls(deps.stripe);

  async function ensureBillingMeter(meter: Meter): Promise<{ eventName: string; stripeMeterId: string }> {
    const known = await stripeBillingMeter(deps.db, meter);
    if (known) return known;
    const eventName = meterEventName(meter);
    const created = await rejectedFast(() =>
      stripe().billing.meters.create(
        {
          display_name: `Tollbooth ${meter}`,
          event_name: eventName,
          default_aggregation: { formula: 'sum' },
          customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
          value_settings: { event_payload_key: 'value' },
        },
        { idempotencyKey: `billing-meter:${eventName}` },
      ),
    );
    await saveStripeBillingMeter(deps.db, { meter, eventName, stripeMeterId: created.id });
    return (await stripeBillingMeter(deps.db, meter))!;
  }

  /** The metered Prices a subscription to this plan carries next to its base price (none: no overage). */
  async function ensureOveragePrices(planId: string): Promise<string[]> {
    const plan = await getPlan(deps.db, planId);
    if (!plan) throw ApplicationFailure.nonRetryable(`Plan ${planId} not found`, 'PlanNotFound');
    const ids: string[] = [];
    for (const [meter, terms] of Object.entries(plan.overage) as [Meter, NonNullable<(typeof plan.overage)[Meter]>][]) {
      if (terms.stripePriceId) {
        ids.push(terms.stripePriceId);
        continue;
      }
      const billingMeter = await ensureBillingMeter(meter);
      const block = Number(terms.blockSize);
      const price = await rejectedFast(() =>
        stripe().prices.create(
          {
            currency: plan.currency,
            product_data: { name: `${plan.name}: ${meter} beyond ${terms.included}` },
            recurring: { interval: plan.interval, usage_type: 'metered', meter: billingMeter.stripeMeterId },
            billing_scheme: 'per_unit',
            unit_amount_decimal: Stripe.Decimal.from(terms.unitAmountCents),
            ...(block > 1 && { transform_quantity: { divide_by: block, round: 'up' as const } }),
            metadata: { planId, meter },
            // The terms are in the key: changed terms are a new Price, the same terms the same one.
          },
          { idempotencyKey: `overage-price:${planId}:${meter}:${terms.unitAmountCents}:${terms.blockSize}` },
        ),
      );
      await setOverageStripePrice(deps.db, { planId, meter, stripePriceId: price.id });
      ids.push(price.id);
    }
    return ids;
  }

  return {
    ensureBillingMeter,
    ensureOveragePrices,
    /** One meter event; Stripe counts an identifier once, so a resend after a lost answer is harmless. */
    async sendMeterEvent(input: { eventName: string; customerId: string; quantity: string; identifier: string; eventTime: string }): Promise<void> {
      await rejectedFast(() =>
        stripe().billing.meterEvents.create(
          {
            event_name: input.eventName,
            identifier: input.identifier,
            timestamp: Math.floor(Date.parse(input.eventTime) / 1000),
            payload: { stripe_customer_id: input.customerId, value: input.quantity },
          },
          { idempotencyKey: `meter-event:${input.identifier}` },
        ),
      );
    },
    async previewInvoice(input: { customerId: string; subscriptionId?: string }): Promise<Stripe.Invoice> {
      return rejectedFast(() =>
        stripe().invoices.createPreview({ customer: input.customerId, ...(input.subscriptionId && { subscription: input.subscriptionId }) }),
      );
    },
  };
}
