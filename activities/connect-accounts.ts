import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { getApp, setAppStripeAccount } from '../db/apps';
import { connectStripe } from './connect-stripe';

export interface ConnectStatus {
  stripeAccountId: string | null;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  currentlyDue: string[];
}

/** Connect onboarding: the app's connected account (made once) and its Account Links. */
export function createConnectAccountActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast } = connectStripe(deps);
  return {
    /**
     * Creates the connected account unless the app has one. The idempotency key is the app id,
     * so even a crash between Stripe's answer and our write makes one account, not two.
     */
    async ensureConnectedAccount(input: { appId: string }): Promise<{ stripeAccountId: string; created: boolean }> {
      const app = await getApp(deps.db, input.appId);
      if (app?.stripeAccountId) return { stripeAccountId: app.stripeAccountId, created: false };
      const account = await rejectedFast(() =>
        stripe().accounts.create({ type: 'express', metadata: { appId: input.appId } }, { idempotencyKey: `connect-account:${input.appId}` }),
      );
      const stored = await setAppStripeAccount(deps.db, input.appId, account.id);
      return { stripeAccountId: stored ?? account.id, created: stored === account.id };
    },

    /** A fresh link on every call: Account Links are single-use and expire within minutes. */
    async createAccountLink(input: { stripeAccountId: string; refreshUrl: string; returnUrl: string }): Promise<{ url: string; expiresAt: string }> {
      const link = await rejectedFast(() =>
        stripe().accountLinks.create({
          account: input.stripeAccountId,
          refresh_url: input.refreshUrl,
          return_url: input.returnUrl,
          type: 'account_onboarding',
        }),
      );
      return { url: link.url, expiresAt: new Date(link.expires_at * 1000).toISOString() };
    },

    /** Read from Stripe, not cached: the status page is where an app checks what is still due. */
    async readConnectStatus(input: { appId: string }): Promise<ConnectStatus> {
      const app = await getApp(deps.db, input.appId);
      if (!app?.stripeAccountId) return { stripeAccountId: null, chargesEnabled: false, payoutsEnabled: false, detailsSubmitted: false, currentlyDue: [] };
      const account = await rejectedFast(() => stripe().accounts.retrieve(app.stripeAccountId!));
      return {
        stripeAccountId: app.stripeAccountId,
        chargesEnabled: Boolean(account.charges_enabled),
        payoutsEnabled: Boolean(account.payouts_enabled),
        detailsSubmitted: Boolean(account.details_submitted),
        currentlyDue: account.requirements?.currently_due ?? [],
      };
    },
  };
}
