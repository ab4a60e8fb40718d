import { startForwardingProxy, stripeError } from '../helpers/forwarding-proxy';
import { upcomingInvoice, type AcceptedMeterEvent, type UpcomingSubscription } from './invoice-preview-stand-in';

/**
 * A proxy in front of stripe-mock that stands in for Stripe's memory: stripe-mock forgets every
 * request, so this keeps the meter events Stripe accepted, first identifier wins (as Stripe
 * de-duplicates by identifier), and the bodies of chosen requests. It can also fake faults:
 * `outage` answers 503 without forwarding, `lostAnswers` forwards (Stripe got it) then answers
 * 500, `heldAnswers` forwards then never answers (the sender dies waiting), `refuse` answers 400
 * invalid_request_error (a deleted customer, a bad meter).
 * The invoice preview of a customer in `upcoming` is built from the accepted meter events, as
 * Stripe builds it (invoice-preview-stand-in.ts), instead of stripe-mock's fixture.
 */
export async function stripeRecorder(target: string) {
  const meterEvents = new Map<string, AcceptedMeterEvent>();
  const upcoming = new Map<string, UpcomingSubscription>();
  const requests: { method: string; path: string; form: URLSearchParams }[] = [];
  const faults = { outage: 0, lostAnswers: 0, heldAnswers: 0, refuse: false };
  let meterEventRequests = 0;
  let held = 0;

  const proxy = await startForwardingProxy(target, (req, res, forward) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const form = new URLSearchParams(raw.toString());
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, form });
      const previewed = req.method === 'POST' && path.startsWith('/v1/invoices/create_preview') && upcoming.get(form.get('customer') ?? '');
      if (previewed) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(upcomingInvoice(form.get('customer')!, previewed, meterEvents.values())));
        return;
      }
      const isMeterEvent = req.method === 'POST' && path.startsWith('/v1/billing/meter_events');
      if (isMeterEvent) {
        meterEventRequests++;
        if (faults.outage > 0) {
          faults.outage--;
          stripeError(res, 503, { type: 'api_error', message: 'unavailable' });
          return;
        }
        if (faults.refuse) {
          stripeError(res, 400, { type: 'invalid_request_error', message: 'No such customer', code: 'resource_missing' });
          return;
        }
        const identifier = form.get('identifier') ?? '';
        if (!meterEvents.has(identifier)) {
          meterEvents.set(identifier, {
            eventName: form.get('event_name') ?? '',
            value: Number(form.get('payload[value]')),
            customer: form.get('payload[stripe_customer_id]') ?? '',
            timestamp: Number(form.get('timestamp')),
          });
        }
        if (faults.lostAnswers > 0) {
          faults.lostAnswers--;
          stripeError(res, 500, { type: 'api_error', message: 'lost' });
          return;
        }
        if (faults.heldAnswers > 0) {
          faults.heldAnswers--;
          // Stripe answers; the answer stays here until the proxy closes.
          forward(raw, () => held++);
          return;
        }
      }
      forward(raw);
    });
  });
  return {
    ...proxy,
    faults,
    meterEvents,
    upcoming,
    requests,
    meterEventRequests: () => meterEventRequests,
    /** Meter events Stripe answered whose answer is being held from the sender. */
    heldAnswers: () => held,
    /** What Stripe would bill for a customer: the sum of its accepted meter events. */
    billedTo: (customer: string) => [...meterEvents.values()].filter((e) => e.customer === customer).reduce((s, e) => s + e.value, 0),
  };
}
