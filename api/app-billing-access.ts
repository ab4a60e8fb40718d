import type { ApiDeps } from './deps';
import { AppError, notFound, unavailable } from '../platform/errors';
import { getApp, type App } from '../db/apps';
import type { Principal } from './middleware/principal';
import { requireApp } from './tenancy';

/** The app in the path, if this principal may act on it (another tenant's: 404). */
export async function appOf(deps: Pick<ApiDeps, 'db'>, principal: Principal, appId: string): Promise<App> {
  requireApp(principal, appId);
  const app = await getApp(deps.db, appId);
  if (!app) throw notFound('App');
  return app;
}

/**
 * The end user a call is for. An end-user token is always for its own subject (naming anyone
 * else is "not found", never their data); an app key must name the customer.
 */
export function customerOf(principal: Principal, requested: string | undefined, where: 'body' | 'query'): string {
  if (principal.kind === 'end_user') {
    if (requested !== undefined && requested !== principal.customerId) throw notFound('Customer');
    return principal.customerId;
  }
  if (!requested)
    throw new AppError('validation_failed', 'customerId is required when calling with the app secret key', [
      { path: [where, 'customerId'], message: 'required' },
    ]);
  return requested;
}

/** Stripe-backed writes need Stripe and the app's connected account; say which is missing. */
export function requireConnected(deps: Pick<ApiDeps, 'config'>, app: App): string {
  if (!deps.config.STRIPE_SECRET_KEY) throw unavailable('Stripe is not configured (STRIPE_SECRET_KEY is unset): app billing is unavailable');
  if (!app.stripeAccountId) {
    throw new AppError('conflict', `Connect onboarding is incomplete for app ${app.id}: start it with POST /v1/${app.id}/billing/connect/onboard`);
  }
  return app.stripeAccountId;
}

/**
 * Selling (subscribe, purchase) needs more than a connected account: Stripe must have enabled
 * charges on it, which `account.updated` tells us (and takes away again, e.g. when new
 * verification is due).
 */
export function requireCharges(deps: Pick<ApiDeps, 'config'>, app: App): string {
  const account = requireConnected(deps, app);
  if (!app.chargesEnabled) {
    throw new AppError(
      'conflict',
      `App ${app.id} cannot take payments: Stripe has not enabled charges on its connected account ${account}; finish onboarding with POST /v1/${app.id}/billing/connect/onboard`,
    );
  }
  return account;
}
