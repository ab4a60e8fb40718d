import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { notFound } from '../../platform/errors';
import { getAccount } from '../../db/accounts';
import { getApp } from '../../db/apps';
import { getPlan, listPlans } from '../../db/plans';
import { currentSubscription } from '../../db/platform-subscriptions';
import { dailyUsage } from '../../metering/daily-usage';
import { periodUsage, usageStatus } from '../../metering/period-usage';
import { openAlerts } from '../../metering/alerts';
import { METERS } from '../../platform/meters';
import { requireAccount } from '../tenancy';
import { getSpendCap } from '../../db/spend-caps';
import { overageStatus } from './overage';
import * as s from './dashboard.schemas';
import type { Authenticator } from '../middleware/authenticate';
import { mintDashboardToken } from './dashboard-token-route';

const tag = 'dashboard';

export function dashboardRoutes(deps: ApiDeps, auth: Authenticator): RouteDef[] {
  const usageOf = dailyUsage(deps.store);
  const periodOf = periodUsage(deps.store);
  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/usage',
      summary: 'Daily usage history (every day zero-filled)',
      tag,
      auth: ['account', 'dashboard'],
      query: s.usageQuery,
      responses: { 200: { description: 'daily usage', schema: s.usageResponse } },
      handler: async ({ query, principal }) => {
        const accountId = requireAccount(principal);
        if (query.appId && (await getApp(deps.db, query.appId))?.accountId !== accountId) throw notFound('App');
        const { startDate, endDate } = query;
        const usage = await usageOf({ accountId, startDate, endDate, timezone: query.timezone, meter: query.meterType, appId: query.appId });
        return { status: 200, body: { startDate, endDate, timezone: query.timezone, usage } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/billing',
      summary: 'Current plan, usage and limits',
      tag,
      auth: ['account', 'dashboard'],
      responses: { 200: { description: 'billing overview', schema: s.billingResponse } },
      handler: async ({ principal }) => {
        const account = await getAccount(deps.db, requireAccount(principal));
        if (!account) throw notFound('Account');
        const plan = (await getPlan(deps.db, account.planId))!;
        const start = new Date(account.periodStart);
        const [used, alerts] = await Promise.all([periodOf(account.id, start, new Date(account.periodEnd)), openAlerts(deps.db, account.id, start)]);
        const usage = Object.fromEntries(
          METERS.map((m) => {
            const limit = plan.limits[m] ?? null;
            return [m, { used: used[m], limit: limit?.limit ?? null, mode: limit?.mode ?? null, ...usageStatus(used[m], limit?.limit ?? null) }];
          }),
        );
        return {
          status: 200,
          body: {
            plan: { id: plan.id, name: plan.name, limits: plan.limits },
            period: { start: account.periodStart, end: account.periodEnd },
            usage,
            subscription: await currentSubscription(deps.db, account.id),
            alerts,
            overage: await overageStatus(deps, account, plan, used),
            spendCap: await getSpendCap(deps.db, account.id).then((c) => (c === null ? null : { maxCents: Number(c) })),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/dashboard/tokens',
      summary: 'Mint a short-lived read-only dashboard token (to embed /app without the API key)',
      tag,
      auth: ['account'],
      body: s.tokenBody,
      responses: {
        201: { description: 'the token; it may call GET /dashboard/* only', schema: s.tokenResponse },
        503: { description: 'ADMIN_TOKEN is unset: tokens cannot be signed' },
      },
      handler: async ({ body, principal }) => ({ status: 201, body: await mintDashboardToken(auth, requireAccount(principal), body.ttlSeconds) }),
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/plans',
      summary: 'The platform plans an account can choose from',
      tag,
      auth: ['account', 'dashboard'],
      responses: { 200: { description: 'plans, cheapest first; purchasable ones can go through checkout', schema: s.plansResponse } },
      handler: async () => {
        const plans = await listPlans(deps.db);
        return {
          status: 200,
          body: {
            plans: plans.map((p) => ({
              id: p.id,
              name: p.name,
              description: p.description,
              amountCents: p.amountCents,
              currency: p.currency,
              interval: p.interval,
              limits: p.limits,
              purchasable: !p.isDefault && p.amountCents > 0 && p.stripePriceId !== null,
            })),
          },
        };
      },
    }),
  ];
}
