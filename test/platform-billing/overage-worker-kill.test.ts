import type { ChildProcess } from 'node:child_process';
import { startTestStack } from '../helpers/stack';
import { killGroup } from '../helpers/spawn-until-ready';
import { spawnService } from '../helpers/api-process';
import { testServices } from '../helpers/services';
import { putPlan, usageEvent } from '../helpers/factories';
import { ingestOk } from '../helpers/metering';
import { eventually } from '../helpers/eventually';
import { METERED_PLAN, WEBHOOK_SECRET, billingOf } from './helpers';
import { stripeRecorder } from './stripe-recorder';
import { ledgerSent, overageAccount } from './overage-stacks';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

it('a worker SIGKILLed after Stripe accepted a meter event and before the ledger noted it: the next worker resends it under its identifier, and Stripe counts the overage once', async () => {
  const recorder = await stripeRecorder(testServices().stripeApiBase);
  cleanup.push(() => recorder.close());
  const api = await startTestStack({ worker: false, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: recorder.url } });
  cleanup.push(() => api.close());
  // The production worker, in a process group of its own that can be killed outright.
  const children: ChildProcess[] = [];
  cleanup.push(() => children.forEach((c) => killGroup(c)));
  const { child } = await spawnService('worker', api, children);
  await putPlan(api, 'metered', METERED_PLAN);
  const t = await overageAccount(api, 'Killed mid-report');
  const { timestamp } = usageEvent(t.accountId, 'stamp');
  const ev = (id: string, value: number) => usageEvent(t.accountId, id, { value, timestamp });
  const ledger = async () =>
    (
      await api.deps.db.query<{ identifier: string; quantity: number; status: string }>(
        'SELECT identifier, quantity::int AS quantity, status FROM usage_reports WHERE account_id = $1 ORDER BY seq',
        [t.accountId],
      )
    ).rows;
  const posted = () =>
    recorder.requests
      .filter((q) => q.method === 'POST' && q.path.startsWith('/v1/billing/meter_events') && q.form.get('payload[stripe_customer_id]') === t.customer)
      .map((q) => ({ identifier: q.form.get('identifier'), value: Number(q.form.get('payload[value]')) }));

  // 600 tokens beyond the included 1,000: Stripe records the event, its answer never reaches the worker.
  await ingestOk(api, [ev('k1', 900), ev('k2', 700)]);
  recorder.faults.heldAnswers = 1;
  const interrupted = t.report();
  await eventually('Stripe accepted the meter event', async () => recorder.heldAnswers() === 1);
  const [accepted] = posted();
  expect(accepted).toEqual({ identifier: expect.any(String), value: 600 });
  expect(await ledger()).toEqual([{ identifier: accepted!.identifier, quantity: 600, status: 'pending' }]);
  killGroup(child);

  // Usage goes on while no worker runs; a new worker takes over the report the dead one left.
  await ingestOk(api, [ev('k3', 250)]);
  const second = await startTestStack({ shareWith: api, api: false, worker: true, env: { STRIPE_API_BASE: recorder.url } });
  cleanup.push(() => second.close());
  await interrupted;
  // The retry resends the pending event as it was (same identifier, same value), then the difference.
  expect(posted().slice(0, 2)).toEqual([accepted, accepted]);

  // And the next report only adds what came since.
  await ingestOk(api, [ev('k4', 100)]);
  await t.report();

  const overage = 900 + 700 + 250 + 100 - 1000;
  expect(recorder.billedTo(t.customer)).toBe(overage);
  expect((await billingOf(api, t.apiKey)).overage.ai_tokens).toMatchObject({ quantity: String(overage), reported: String(overage), pending: '0' });
  expect(await ledgerSent(api, t.accountId)).toBe(overage);
  const rows = await ledger();
  expect(rows.map((r) => [r.quantity, r.status])).toEqual([
    [600, 'sent'],
    [250, 'sent'],
    [100, 'sent'],
  ]);
  // One ledger row per identifier Stripe saw, and each of Stripe's events is one of the ledger's, with its quantity.
  const identifiers = rows.map((r) => r.identifier);
  expect(new Set(identifiers).size).toBe(rows.length);
  expect(new Set(posted().map((p) => p.identifier))).toEqual(new Set(identifiers));
  const stripeEvents = [...recorder.meterEvents].filter(([, e]) => e.customer === t.customer).map(([id, e]) => [id, e.value]);
  expect(stripeEvents).toEqual(rows.map((r) => [r.identifier, r.quantity]));
}, 150_000);
