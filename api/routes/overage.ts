import { randomUUID } from 'node:crypto';
import { TypedSearchAttributes } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError, conflict, notFound, unavailable } from '../../platform/errors';
import type { Account } from '../../db/accounts';
import { getAccount } from '../../db/accounts';
import { getPlan, type Plan } from '../../db/plans';
import { getSpendCap, setSpendCap } from '../../db/spend-caps';
import { reportedOverage } from '../../db/usage-reports';
import { currentSubscription } from '../../db/platform-subscriptions';
import { LIVE_SUBSCRIPTION_STATUSES } from '../../db/subscription-statuses';
import { periodUsage } from '../../metering/period-usage';
import { overageLines, type OverageTerms } from '../../metering/overage';
import { invoicePreviewWorkflow } from '../../workflows/invoice-preview';
import { AccountId } from '../../workflows/search-attributes';
import { requireAccount } from '../tenancy';
import * as s from './overage.schemas';

const tag = 'dashboard';

/** Per priced meter: the overage recomputed from the events next to what the ledger says Stripe was told. */
export async function overageStatus(deps: Pick<ApiDeps, 'db'>, account: Account, plan: Plan, used: Record<string, number>) {
  const ledger = await reportedOverage(deps.db, account.id, account.periodStart);
  return Object.fromEntries(
    overageLines(plan.overage as Record<string, OverageTerms>, used).map((line) => {
      const l = ledger[line.meter as keyof typeof ledger];
      return [line.meter, { ...line, reported: l?.reported ?? '0', pending: l?.pending ?? '0', lastError: l?.lastError ?? null }];
    }),
  );
}

/** Spend cap and invoice preview of the account's overage billing. */
export function overageRoutes(deps: ApiDeps): RouteDef[] {
  const usageOf = periodUsage(deps.store);
  const accountOf = async (accountId: string) => (await getAccount(deps.db, accountId)) ?? Promise.reject(notFound('Account'));
  return [
    defineRoute({
      method: 'put',
      path: '/dashboard/billing/spend-cap',
      summary: 'Set (or remove) the maximum overage spend per period',
      tag,
      auth: ['account'],
      body: s.spendCapBody,
      responses: { 200: { description: 'the spend cap now in force', schema: s.spendCapResponse } },
      handler: async ({ body, principal }) => {
        const account = await accountOf(requireAccount(principal));
        await setSpendCap(deps.db, account.id, body.maxCents);
        const cap = await getSpendCap(deps.db, account.id);
        return { status: 200, body: { spendCap: cap === null ? null : { maxCents: Number(cap) } } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/billing/invoice-preview',
      summary: 'The upcoming invoice: base price, overage lines per meter, total',
      tag,
      auth: ['account'],
      responses: {
        200: { description: 'the upcoming invoice', schema: s.invoicePreviewResponse },
        409: { description: 'the account has no Stripe customer yet' },
        422: { description: 'Stripe refused the preview' },
        503: { description: 'Stripe is not configured or Temporal is unavailable' },
      },
      handler: async ({ principal }) => {
        const account = await accountOf(requireAccount(principal));
        if (!deps.config.STRIPE_SECRET_KEY) throw unavailable('Stripe is not configured (STRIPE_SECRET_KEY is unset): no invoice preview');
        if (!account.stripeCustomerId) throw conflict('This account has no Stripe customer yet, so there is no upcoming invoice');
        const plan = (await getPlan(deps.db, account.planId))!;
        const sub = await currentSubscription(deps.db, account.id);
        const live = sub && LIVE_SUBSCRIPTION_STATUSES.includes(sub.status) ? sub.id : undefined;
        const [preview, used] = await Promise.all([
          deps.temporal.workflow
            .execute(invoicePreviewWorkflow, {
              workflowId: `invoice-preview:${account.id}:${randomUUID()}`,
              taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
              args: [{ customerId: account.stripeCustomerId, ...(live && { subscriptionId: live }) }],
              workflowExecutionTimeout: '1 minute',
              typedSearchAttributes: new TypedSearchAttributes([{ key: AccountId, value: account.id }]),
            })
            .catch((err: unknown) => {
              if (err instanceof WorkflowFailedError)
                throw new AppError(
                  'unprocessable',
                  `Invoice preview failed: ${(err.cause?.cause as Error | undefined)?.message ?? err.cause?.message ?? err.message}`,
                );
              throw err;
            }),
          usageOf(account.id, new Date(account.periodStart), new Date(account.periodEnd)),
        ]);
        // Stripe's preview is the invoice; each overage line sets Stripe's quantity for the meter's
        // metered Price next to the one recomputed from the events, and says whether they agree.
        const ledger = await reportedOverage(deps.db, account.id, account.periodStart);
        const overage = overageLines(plan.overage as Record<string, OverageTerms>, used).map((line) => {
          const priceId = plan.overage[line.meter as keyof Plan['overage']]?.stripePriceId ?? null;
          const stripeLine = priceId === null ? undefined : preview.lines.find((l) => l.priceId === priceId);
          const stripe = stripeLine ? { quantity: String(stripeLine.quantity ?? 0), amountCents: stripeLine.amount } : null;
          return { ...line, reported: ledger[line.meter as keyof typeof ledger]?.reported ?? '0', stripe, matchesStripe: stripe?.quantity === line.quantity };
        });
        const baseLine = preview.lines.find((l) => l.priceId !== null && l.priceId === plan.stripePriceId);
        return {
          status: 200,
          body: {
            currency: preview.currency || plan.currency,
            period: { start: account.periodStart, end: account.periodEnd },
            base: { planId: plan.id, amountCents: baseLine?.amount ?? null },
            overage,
            quantitiesMatch: overage.every((l) => l.matchesStripe),
            totalCents: preview.total,
            recomputedTotalCents: plan.amountCents + overage.reduce((sum, l) => sum + l.amountCents, 0),
            stripe: { total: preview.total, amountDue: preview.amountDue, lines: preview.lines },
          },
        };
      },
    }),
  ];
}
