import type { TestStack } from '../helpers/stack';
import { createAccount, usageEvent } from '../helpers/factories';
import { ingestOk } from '../helpers/metering';
import { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import { reportUsageUpdate, type UsageReportingState } from '../../workflows/messages';
import { billingOf, checkoutCompleted, deliver, eventually, invoiceEvent, newSubscriptionId } from './helpers';
import type { stripeRecorder } from './stripe-recorder';
import { startOverageStacks } from './overage-stacks';

/**
 * Overage reporting across the first paid invoice, through signed Stripe events: the invoice
 * replaces the provisional first period with Stripe's cycle, which overlaps it. The overlap
 * must be billed once, and a period extended with the same start must be reported to its new end.
 */
let recorder: Awaited<ReturnType<typeof stripeRecorder>>;
let api: TestStack;
let worker: TestStack;
beforeAll(async () => {
  ({ recorder, api, worker } = await startOverageStacks());
}, 120_000);
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await recorder?.close();
});

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
const quarterNow = () => Math.floor(Date.now() / 900_000) * 900_000;

const periodOf = async (accountId: string) =>
  (await api.deps.db.query<{ period_start: Date; period_end: Date }>('SELECT period_start, period_end FROM accounts WHERE id = $1', [accountId])).rows[0]!;

/** The per-minute schedule's workflow, run on demand: it starts the reporting workflow of the account's current period. */
async function startReporting(accountId: string) {
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-${accountId}-${Date.now()}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  const handle = api.deps.temporal.workflow.getHandle(`usage-reporting:${accountId}:${(await periodOf(accountId)).period_start.toISOString()}`);
  return { handle, report: (): Promise<UsageReportingState> => handle.executeUpdate(reportUsageUpdate) };
}

const ledgerOf = async (accountId: string, periodStart: Date) =>
  Number(
    (
      await api.deps.db.query(`SELECT coalesce(sum(quantity), 0) AS s FROM usage_reports WHERE account_id = $1 AND period_start = $2 AND status = 'sent'`, [
        accountId,
        periodStart,
      ])
    ).rows[0].s,
  );

it('bills the overlap once when the first paid invoice replaces the provisional period, and follows an extended period', async () => {
  const { accountId, apiKey } = await createAccount(api, 'Renewal');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  // Signed up two hours ago: the provisional period is a calendar month from then.
  const p1Start = new Date(quarterNow() - 2 * HOUR_MS);
  const p1End = new Date(p1Start.getTime() + 31 * DAY_S * 1000);
  await api.deps.db.query('UPDATE accounts SET period_start = $2, period_end = $3 WHERE id = $1', [accountId, p1Start, p1End]);
  const customer = (await api.deps.db.query('SELECT stripe_customer_id FROM accounts WHERE id = $1', [accountId])).rows[0].stripe_customer_id as string;

  // Usage on the free plan, before the subscription: 300 tokens in the provisional period only.
  await ingestOk(api, [usageEvent(accountId, 'pre', { value: 300, timestamp: new Date(p1Start.getTime() + 60_000).toISOString() })]);
  // Checkout completes (signed event): the account is on the metered plan; the provisional period's workflow starts.
  const subscriptionId = newSubscriptionId();
  expect((await deliver(api, checkoutCompleted({ accountId, planId: 'metered', subscriptionId, customerId: customer }))).status).toBe(200);
  await eventually('on the metered plan', async () => (await billingOf(api, apiKey)).plan.id === 'metered');
  expect((await periodOf(accountId)).period_start).toEqual(p1Start);
  const p1 = await startReporting(accountId);
  await ingestOk(api, [usageEvent(accountId, 'a', { value: 1500 })]);
  await p1.report();
  expect(recorder.billedTo(customer)).toBe(800); // 1,800 in the provisional period, 1,000 included

  // The first invoice is paid (signed event): Stripe's cycle started an hour ago and overlaps the provisional period.
  const p2Start = new Date(p1Start.getTime() + HOUR_MS);
  const p2EndS = p2Start.getTime() / 1000 + 30 * DAY_S;
  const paid = invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart: p2Start.getTime() / 1000, periodEnd: p2EndS });
  expect((await deliver(api, paid)).status).toBe(200);
  await eventually('period replaced', async () => (await periodOf(accountId)).period_start.getTime() === p2Start.getTime());
  const p2 = await startReporting(accountId);

  // More usage in the overlap; both workflows get to report.
  await ingestOk(api, [usageEvent(accountId, 'b', { value: 200 })]);
  expect((await p1.report()).superseded).toBe(true);
  await p2.report();
  // Stripe's cycle holds 1,700 tokens (the 300 before it are not in it): 700 beyond the included 1,000, reported once.
  expect(recorder.billedTo(customer)).toBe(700);
  expect(await ledgerOf(accountId, p2Start)).toBe(700);
  expect(await ledgerOf(accountId, p1Start)).toBe(0);
  expect((await billingOf(api, apiKey)).overage.ai_tokens).toMatchObject({ quantity: '700', reported: '700', pending: '0' });
  expect((await p1.handle.result()).superseded).toBe(true);
  // Corrections were differences: the new period took over the 800 sent and compensated (the
  // pre-subscription 300, and the 200 since), never a full report. Whether that is one event
  // (-100) or two (-300, then 200) depends on whether its first report ran before the 200 arrived.
  const sent = [...recorder.meterEvents.values()].filter((e) => e.customer === customer).map((e) => e.value);
  expect(sent[0]).toBe(800);
  expect(sent.slice(1).reduce((a, b) => a + b, 0)).toBe(-100);
  for (const correction of sent.slice(1)) expect(Math.abs(correction)).toBeLessThan(700);

  // A paid invoice extends the period (same start, a week later end): the running workflow reports to the new end.
  const extendedEnd = new Date((p2EndS + 7 * DAY_S) * 1000);
  const extended = invoiceEvent('invoice.payment_succeeded', {
    accountId,
    subscriptionId,
    periodStart: p2Start.getTime() / 1000,
    periodEnd: p2EndS + 7 * DAY_S,
  });
  expect((await deliver(api, extended)).status).toBe(200);
  await eventually('period extended', async () => (await periodOf(accountId)).period_end.getTime() === extendedEnd.getTime());
  expect((await p2.report()).last?.periodEnd).toBe(extendedEnd.toISOString());
  expect(recorder.billedTo(customer)).toBe(700);
}, 180_000);
