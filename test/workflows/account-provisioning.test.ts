import { setTimeout as sleep } from 'node:timers/promises';
import { startTestStack, type TestStack } from '../helpers/stack';
import { startForwardingProxy } from '../helpers/forwarding-proxy';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { accountProvisioningWorkflow } from '../../workflows/account-provisioning';
import { AccountId } from '../../workflows/search-attributes';
import { STRIPE_NOT_CONFIGURED } from '../../activities/stripe-customers';

/** A pass-through proxy in front of stripe-mock that counts the requests Stripe would see. */
async function countingStripeProxy(target: string) {
  const seen: string[] = [];
  const proxy = await startForwardingProxy(target, (req, _res, forward) => {
    seen.push(`${req.method} ${req.url?.split('?')[0]}`);
    forward();
  });
  return { ...proxy, count: (what: string) => seen.filter((s) => s === what).length };
}

const provisioned = async (stack: TestStack, accountId: string) => {
  const result = await stack.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  const { body } = await call(stack.url, 'GET', `/admin/accounts/${accountId}`, { token: stack.adminToken });
  return { result, account: body.account };
};

describe('with Stripe (stripe-mock)', () => {
  let proxy: Awaited<ReturnType<typeof countingStripeProxy>>;
  let stack: TestStack;
  beforeAll(async () => {
    proxy = await countingStripeProxy(testServices().stripeApiBase);
    stack = await startTestStack({ worker: true, env: { STRIPE_API_BASE: proxy.url } });
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it('creates one Stripe customer per account, even when the workflow runs twice', async () => {
    const { accountId } = await createAccount(stack, 'Provisioned');
    const first = await provisioned(stack, accountId);
    expect(first.account.provisioningState).toBe('done');
    expect(first.account.stripeCustomerId).toMatch(/^cus_/);
    expect(first.account.provisioningNote).toBeNull();
    expect(first.result).toEqual({ stripeCustomerId: first.account.stripeCustomerId, note: null });

    const again = await stack.deps.temporal.workflow.execute(accountProvisioningWorkflow, {
      workflowId: `account-provisioning:${accountId}:again`,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ accountId }],
    });
    expect(again.stripeCustomerId).toBe(first.account.stripeCustomerId);
    const { body } = await call(stack.url, 'GET', `/admin/accounts/${accountId}`, { token: stack.adminToken });
    expect(body.account).toMatchObject({ provisioningState: 'done', stripeCustomerId: first.account.stripeCustomerId });
    expect(proxy.count('POST /v1/customers')).toBe(1);
  });

  it('is findable by its AccountId search attribute', async () => {
    const { accountId } = await createAccount(stack, 'Findable');
    const handle = stack.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`);
    await handle.result();
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(AccountId)).toBe(accountId);
    // What an operator does in the Temporal UI: visibility is eventually consistent, so poll.
    let found: string[] = [];
    for (let i = 0; i < 40 && found.length === 0; i++) {
      found = [];
      for await (const wf of stack.deps.temporal.workflow.list({ query: `AccountId = "${accountId}"` })) found.push(wf.workflowId);
      if (found.length === 0) await sleep(250);
    }
    expect(found).toEqual([`account-provisioning:${accountId}`]);
  });
});

describe('without Stripe', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: true, stripe: false });
  });
  afterAll(() => stack?.close());

  it('provisions the account with no customer and says why', async () => {
    const { accountId } = await createAccount(stack, 'No Stripe');
    const { result, account } = await provisioned(stack, accountId);
    expect(account).toMatchObject({ provisioningState: 'done', stripeCustomerId: null, provisioningNote: STRIPE_NOT_CONFIGURED });
    expect(account.provisioningNote).toMatch(/Stripe is not configured/);
    expect(result).toEqual({ stripeCustomerId: null, note: STRIPE_NOT_CONFIGURED });
  });
});
