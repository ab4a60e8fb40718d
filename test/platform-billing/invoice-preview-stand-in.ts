/**
 * Stripe's upcoming invoice as real Stripe builds it, for a subscription the test describes:
 * stripe-mock answers every preview with one fixture line. A licensed item is billed its unit
 * amount; a metered item's quantity is the sum of the customer's meter events of its meter
 * whose timestamps fall in the period, and its amount applies the Price's
 * `transform_quantity` (divide, round up) to that quantity.
 */
export interface UpcomingSubscription {
  periodStart: number;
  periodEnd: number;
  items: ({ price: string; unitAmountCents: number } | { price: string; eventName: string; unitAmountCents: number; divideBy: number })[];
}
export interface AcceptedMeterEvent {
  eventName: string;
  customer: string;
  value: number;
  timestamp: number;
}

export function upcomingInvoice(customer: string, sub: UpcomingSubscription, events: Iterable<AcceptedMeterEvent>) {
  const accepted = [...events];
  const lines = sub.items.map((item, i) => {
    let quantity = 1;
    let amount = item.unitAmountCents;
    if ('eventName' in item) {
      quantity = accepted
        .filter((e) => e.customer === customer && e.eventName === item.eventName && e.timestamp >= sub.periodStart && e.timestamp < sub.periodEnd)
        .reduce((sum, e) => sum + e.value, 0);
      amount = Math.round(Math.ceil(Math.max(quantity, 0) / item.divideBy) * item.unitAmountCents);
    }
    return {
      id: `il_preview_${i}`,
      object: 'line_item',
      amount,
      currency: 'usd',
      description: `${quantity} × ${item.price}`,
      quantity,
      period: { start: sub.periodStart, end: sub.periodEnd },
      pricing: { type: 'price_details', price_details: { price: item.price, product: `prod_${i}` }, unit_amount_decimal: String(item.unitAmountCents) },
    };
  });
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  return {
    id: 'upcoming_in_preview',
    object: 'invoice',
    customer,
    currency: 'usd',
    subtotal: total,
    total,
    amount_due: total,
    period_start: sub.periodStart,
    period_end: sub.periodEnd,
    lines: { object: 'list', data: lines, has_more: false, url: '/v1/invoices/upcoming/lines' },
  };
}
