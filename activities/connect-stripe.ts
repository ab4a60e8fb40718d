import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { getApp } from '../db/apps';

/**
 * What every Connect activity needs: the platform's Stripe client, the app's connected account
 * (every app-billing call carries it as the Stripe-Account header), and fast failure for
 * requests Stripe rejects (a retry would be rejected again).
 */
export function connectStripe(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast } = stripeCalls(deps.stripe);
  /** The app's connected account; the API checked it exists, so its absence here is final. */
  const accountOf = async (appId: string): Promise<string> => {
    const app = await getApp(deps.db, appId);
    if (!app?.stripeAccountId) throw ApplicationFailure.nonRetryable(`App ${appId} has not started Connect onboarding`, 'NotOnboarded');
    return app.stripeAccountId;
  };
  return { stripe, rejectedFast, accountOf };
}
