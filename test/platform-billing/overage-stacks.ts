import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { putPlan } from '../helpers/factories';
import { METERED_PLAN, WEBHOOK_SECRET } from './helpers';
import { stripeRecorder } from './stripe-recorder';

/**
 * The overage tests' setup: stripe-mock behind the recorder (Stripe's memory), an API and a
 * separate worker on one database (a test may restart the worker), and the metered plan.
 */
export async function startOverageStacks(): Promise<{
  recorder: Awaited<ReturnType<typeof stripeRecorder>>;
  api: TestStack;
  worker: TestStack;
}> {
  const recorder = await stripeRecorder(testServices().stripeApiBase);
  const env = { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: recorder.url };
  const api = await startTestStack({ worker: false, env });
  const worker = await startTestStack({ shareWith: api, api: false, worker: true, env });
  await putPlan(api, 'metered', METERED_PLAN);
  return { recorder, api, worker };
}
