import { allHandlersFinished, condition, continueAsNew, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { StripeObjectId } from './search-attributes';
import { accountLinkUpdate, onboardingStateQuery, type OnboardingState } from './messages';

// Local activities: the app's developer waits on the HTTP request. Both are idempotent (the
// account by the app id as idempotency key and a write-once column; a link is just a link).
const { ensureConnectedAccount, createAccountLink } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, initialInterval: '500 milliseconds', backoffCoefficient: 2 },
});

const IDLE_MS = 30 * 24 * 3600 * 1000;
const LINKS_PER_RUN = 100;

/**
 * The app's Connect onboarding (id `connect-onboarding:<appId>`, one per app). Every POST
 * .../connect/onboard is an Update-with-Start on it: the first creates the connected account,
 * each returns a fresh Account Link (they are single-use and expire within minutes). It ends
 * after a month without calls; the next call starts a new run that finds the stored account.
 */
export async function connectOnboardingWorkflow(input: { appId: string; state?: OnboardingState }): Promise<OnboardingState> {
  const state: OnboardingState = input.state ?? { stripeAccountId: null, linksIssued: 0 };
  let calls = 0;
  setHandler(onboardingStateQuery, () => state);
  setHandler(
    accountLinkUpdate,
    async ({ refreshUrl, returnUrl }) => {
      calls += 1;
      const account = await ensureConnectedAccount({ appId: input.appId });
      if (state.stripeAccountId !== account.stripeAccountId) upsertSearchAttributes([{ key: StripeObjectId, value: account.stripeAccountId }]);
      state.stripeAccountId = account.stripeAccountId;
      const link = await createAccountLink({ stripeAccountId: account.stripeAccountId, refreshUrl, returnUrl });
      state.linksIssued += 1;
      return { stripeAccountId: account.stripeAccountId, url: link.url, expiresAt: link.expiresAt, accountCreated: account.created };
    },
    {
      validator: ({ refreshUrl, returnUrl }) => {
        if (!refreshUrl || !returnUrl) throw new Error('refreshUrl and returnUrl are required');
      },
    },
  );

  for (;;) {
    const seen = calls;
    const called = await condition(() => calls !== seen, IDLE_MS);
    if (!called || state.linksIssued >= LINKS_PER_RUN) break;
  }
  await condition(allHandlersFinished);
  if (state.linksIssued >= LINKS_PER_RUN) await continueAsNew<typeof connectOnboardingWorkflow>({ appId: input.appId, state: { ...state, linksIssued: 0 } });
  return state;
}
