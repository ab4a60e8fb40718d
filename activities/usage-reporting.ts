import type Stripe from 'stripe';
import type { Client } from '@temporalio/client';
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure, TypedSearchAttributes, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import type { Meter } from '../platform/meters';
import { getAccount } from '../db/accounts';
import { getPlan } from '../db/plans';
import { accountsWithOverage, isSuperseded, markUsageReport, nextUsageReport, reportedOverage } from '../db/usage-reports';
import { periodUsage } from '../metering/period-usage';
import { overageUnits } from '../metering/overage';
import { createOverageStripe } from './overage-stripe';
import { raiseSpendCapAlertIfReached } from './spend-cap-alert';

// activities/ may not import workflows/: must match workflows/usage-reporting.ts.
const REPORTING_WORKFLOW = 'usageReportingWorkflow';
const AccountId = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);

export interface OverageReport {
  /** Per priced meter: overage recomputed from the raw events, and what Stripe acknowledged. */
  meters: Partial<Record<Meter, { metered: string; reported: string }>>;
  skipped?: string;
  /** The period's end as reported: the account's, when a renewal extended the period since the workflow started. */
  periodEnd?: string;
  /** A later, overlapping period replaced this one and reports its usage now: the workflow ends. */
  superseded?: boolean;
}

export interface StripeInvoiceSummary {
  currency: string;
  subtotal: number;
  total: number;
  amountDue: number;
  periodStart: string;
  periodEnd: string;
  lines: { description: string | null; amount: number; quantity: number | null; priceId: string | null }[];
}

/**
 * When a meter event counts: Stripe bills an event in the period its timestamp falls in. Before
 * the period ends that is now; until the invoice is finalized (`graceSeconds` after the end) it is
 * the period's last second; after that the old invoice is closed, so a late correction is
 * timestamped now and lands on the next invoice.
 */
export function eventTimeFor(nowMs: number, periodEnd: string, graceSeconds: number): string {
  const end = Date.parse(periodEnd);
  if (nowMs < end || nowMs >= end + graceSeconds * 1000) return new Date(nowMs).toISOString();
  return new Date(end - 1000).toISOString();
}

/**
 * Runs `work` while telling Temporal every few seconds that this worker is alive: a worker that
 * dies mid-report is noticed within the heartbeat timeout and the report retried elsewhere,
 * instead of after the whole start-to-close timeout.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createUsageReportingActivities(deps: { db: Db; store: MeteringStore; stripe?: Stripe; temporal?: Client; taskQueue?: string }) {
  const stripe = createOverageStripe(deps);
  const usageOf = periodUsage(deps.store);

  /** Sends the ledger's next events for one meter until the ledger equals `units`; false: the period was superseded. */
  async function reconcile(input: { accountId: string; periodStart: string; meter: Meter; units: bigint; customerId: string; eventTime: string }) {
    const { eventName } = await stripe.ensureBillingMeter(input.meter);
    // At most two rounds: a pending row left by a lost attempt, then the remaining difference.
    for (let round = 0; round < 3; round++) {
      const row = await nextUsageReport(deps.db, { ...input, overage: input.units.toString(), eventName });
      if (row === 'superseded') return false;
      if (!row) return true;
      try {
        await stripe.sendMeterEvent(row);
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable)
          await markUsageReport(deps.db, { identifier: row.identifier, status: 'failed', error: err.message });
        throw err;
      }
      await markUsageReport(deps.db, { identifier: row.identifier, status: 'sent' });
    }
    return true;
  }

  return {
    /** The metered Prices of a plan, created in Stripe on first use (checkout subscribes to them). */
    async ensureOveragePrices(input: { planId: string }): Promise<string[]> {
      return stripe.ensureOveragePrices(input.planId);
    },

    /**
     * Brings what Stripe was told for one account and period up to the overage recomputed from
     * the de-duplicated events: only the difference is sent, under an identifier fixed before
     * the call, so retries, restarts and late events never count twice.
     */
    async reportOverage(input: { accountId: string; periodStart: string; periodEnd: string; finalizationGraceSeconds: number }): Promise<OverageReport> {
      return heartbeating(async () => {
        const superseded = { meters: {}, skipped: 'superseded by an overlapping period', superseded: true };
        if (await isSuperseded(deps.db, input.accountId, input.periodStart)) return superseded;
        const account = await getAccount(deps.db, input.accountId);
        if (!account?.stripeCustomerId) return { meters: {}, skipped: 'no Stripe customer' };
        // Still the account's period: its end as it is now (a paid invoice may have extended it).
        const periodEnd = Date.parse(account.periodStart) === Date.parse(input.periodStart) ? account.periodEnd : input.periodEnd;
        const plan = await getPlan(deps.db, account.planId);
        const priced = Object.entries(plan?.overage ?? {}) as [Meter, NonNullable<NonNullable<typeof plan>['overage'][Meter]>][];
        if (priced.length === 0) return { meters: {}, skipped: 'the plan has no overage prices' };
        const used = await usageOf(input.accountId, new Date(input.periodStart), new Date(periodEnd));
        const eventTime = eventTimeFor(Date.now(), periodEnd, input.finalizationGraceSeconds);
        for (const [meter, terms] of priced) {
          const units = overageUnits(used[meter], terms);
          const current = await reconcile({
            accountId: input.accountId,
            periodStart: input.periodStart,
            meter,
            units,
            customerId: account.stripeCustomerId,
            eventTime,
          });
          if (!current) return superseded;
        }
        await raiseSpendCapAlertIfReached(deps.db, { accountId: input.accountId, periodStart: input.periodStart, used });
        const ledger = await reportedOverage(deps.db, input.accountId, input.periodStart);
        return {
          periodEnd,
          meters: Object.fromEntries(
            priced.map(([meter, terms]) => [meter, { metered: overageUnits(used[meter], terms).toString(), reported: ledger[meter]?.reported ?? '0' }]),
          ),
        };
      });
    },

    /** Stripe's upcoming invoice of the account, reduced to what the preview route shows. */
    async previewUpcomingInvoice(input: { customerId: string; subscriptionId?: string }): Promise<StripeInvoiceSummary> {
      const invoice = await stripe.previewInvoice(input);
      return {
        currency: invoice.currency,
        subtotal: invoice.subtotal,
        total: invoice.total,
        amountDue: invoice.amount_due,
        periodStart: new Date(invoice.period_start * 1000).toISOString(),
        periodEnd: new Date(invoice.period_end * 1000).toISOString(),
        lines: invoice.lines.data.map((l) => ({
          description: l.description,
          amount: l.amount,
          quantity: l.quantity,
          priceId: ((p) => (typeof p === 'string' ? p : (p?.id ?? null)))(l.pricing?.price_details?.price),
        })),
      };
    },

    /** Starts the reporting workflow of each overage-billed account's current period (once per period). */
    async startUsageReporting(input: { accountIds?: string[] }): Promise<number> {
      if (!deps.temporal || !deps.taskQueue) throw new Error('activities need a Temporal client and task queue to start workflows');
      let started = 0;
      for (const a of await accountsWithOverage(deps.db, input.accountIds)) {
        try {
          await deps.temporal.workflow.start(REPORTING_WORKFLOW, {
            workflowId: `usage-reporting:${a.accountId}:${a.periodStart}`,
            taskQueue: deps.taskQueue,
            args: [a],
            // One run per account and period: a finished or failed one is not restarted every minute.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: new TypedSearchAttributes([{ key: AccountId, value: a.accountId }]),
          });
          started++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return started;
    },
  };
}
