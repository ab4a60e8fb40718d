import { Worker } from '@temporalio/worker';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { loadWorkflowBundle } from '../../bin/workflow-bundle';
import { URLS, connectEvent, connectStack, deliverConnect, eventually, newApp, nowS, onboard, outcomeOf, rid } from './helpers';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(connectStack); });
afterAll(() => stack?.close());

/** Every Connect workflow, run for real, then its recorded history replayed against today's code. */
it('replays the recorded histories of every Connect workflow without non-determinism', async () => {
  const app = await newApp(stack, 'Replayed');
  const acct = await onboard(stack, app);
  await onboard(stack, app);
  const api = (method: string, path: string, body?: unknown) => call(stack.url, method, `/v1/${app.appId}/billing/${path}`, { token: app.secretKey, body });
  expect((await api('GET', 'connect/status')).status).toBe(200);
  const { plan } = (await api('POST', 'plans', { name: 'P', amount: 500, currency: 'usd', interval: 'month' })).body;
  expect((await api('PUT', `plans/${plan.id}`, { amount: 600 })).status).toBe(200);
  const { product } = (await api('POST', 'products', { name: 'T', amount: 300, currency: 'usd' })).body;
  expect((await api('POST', 'subscribe', { planId: plan.id, customerId: 'cus_r', ...URLS })).status).toBe(200);
  const { orderId } = (await api('POST', 'purchase', { productId: product.id, customerId: 'cus_r', ...URLS })).body;
  const subscriptionId = rid('sub');
  const t = nowS();
  const events = [
    connectEvent('checkout.session.completed', acct, { id: rid('cs'), object: 'checkout.session', mode: 'subscription', payment_status: 'paid', subscription: subscriptionId, metadata: { customerId: 'cus_r', planId: plan.id } }, t),
    connectEvent('invoice.payment_failed', acct, { id: rid('in'), object: 'invoice', parent: { subscription_details: { subscription: subscriptionId, metadata: { customerId: 'cus_r' } } } }, t + 1),
    connectEvent('checkout.session.completed', acct, { id: rid('cs'), object: 'checkout.session', mode: 'payment', payment_status: 'paid', payment_intent: rid('pi'), metadata: { orderId } }, t + 2),
  ];
  for (const e of events) {
    await deliverConnect(stack, e);
    await eventually(e.type, async () => !['pending', undefined].includes(await outcomeOf(stack, e.id)));
  }
  expect((await api('POST', 'cancel', { customerId: 'cus_r' })).status).toBe(200);

  const query = `TaskQueue = "${stack.config.TEMPORAL_TASK_QUEUE}"`;
  const wanted = ['connectOnboardingWorkflow', 'connectStatusWorkflow', 'appCatalogWorkflow', 'appCheckoutWorkflow', 'appCancelWorkflow', 'connectEventWorkflow', 'appSubscriptionWorkflow'];
  // Visibility is eventually consistent: wait until every type is listed, then replay them all.
  await eventually('all types visible', async () => {
    const types = new Set<string>();
    for await (const wf of stack.deps.temporal.workflow.list({ query })) types.add(wf.type);
    return wanted.every((w) => types.has(w));
  });
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await loadWorkflowBundle() }, stack.deps.temporal.workflow.list({ query }).intoHistories())) results.push(r);
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error}`)).toEqual([]);
  expect(results.length).toBeGreaterThanOrEqual(wanted.length + 4);
}, 120_000);
