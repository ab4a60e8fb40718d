import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { reportUsageUpdate, usageReportingStateQuery, type UsageReportingState } from './messages';

// Stripe unavailable: retried with backoff for as long as it takes (the difference is recomputed
// and the pending event resent under its identifier, so nothing is lost or doubled). Stripe
// refusing: the activity fails non-retryable and the workflow records it. A worker that dies
// mid-report stops heartbeating: the report is retried after the heartbeat timeout, not 2 minutes.
const { reportOverage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export interface UsageReportingInput {
  accountId: string;
  periodStart: string;
  periodEnd: string;
  /** Between reports while the period runs (default 5 minutes). */
  intervalSeconds?: number;
  /** Stripe finalizes a subscription invoice about an hour after the period ends; report before that. */
  finalizationGraceSeconds?: number;
  /** After the period: events may arrive up to 35 days late; they are reported at this pace (default 1 day). */
  lateIntervalSeconds?: number;
  state?: UsageReportingState;
}

const LATE_WINDOW_MS = 35 * 86_400_000;

/**
 * One per account and period (id `usage-reporting:<accountId>:<periodStart>`, search attribute
 * AccountId): reports the overage beyond the plan's included amounts to Stripe as meter events,
 * every few minutes, once more right after the period ends (before Stripe finalizes the
 * invoice), then daily until events can no longer arrive (35 days). Each report sends only the
 * difference between the recomputed overage and the Postgres ledger of what was sent. A period
 * replaced by an overlapping one (the first paid invoice) ends its workflow: the new period's
 * reports cover the overlap, with the old ledger.
 */
export async function usageReportingWorkflow(input: UsageReportingInput): Promise<UsageReportingState> {
  const state: UsageReportingState = input.state ?? { reports: 0, last: null, failure: null };
  // A paid invoice may extend the period (same start, later end): the reports say the end they used.
  let end = Date.parse(input.periodEnd);
  const interval = (input.intervalSeconds ?? 300) * 1000;
  const grace = input.finalizationGraceSeconds ?? 3600;
  const lateInterval = (input.lateIntervalSeconds ?? 86_400) * 1000;
  let requested = false;
  let inFlight = false;
  let runs = 0;

  setHandler(usageReportingStateQuery, () => state);
  setHandler(reportUsageUpdate, async () => {
    // A report already under way may have read usage before the caller's last events: wait for the next.
    const wanted = state.reports + (inFlight ? 2 : 1);
    requested = true;
    await condition(() => state.reports >= wanted);
    if (state.failure) throw ApplicationFailure.nonRetryable(state.failure, 'UsageReportRefused');
    return state;
  });

  async function report(): Promise<void> {
    requested = false;
    inFlight = true;
    try {
      const result = await reportOverage({
        accountId: input.accountId,
        periodStart: input.periodStart,
        periodEnd: new Date(end).toISOString(),
        finalizationGraceSeconds: grace,
      });
      const { superseded, ...last } = result;
      state.last = { ...last, meters: last.meters as Record<string, { metered: string; reported: string }>, at: new Date().toISOString() };
      state.failure = null;
      if (superseded) state.superseded = true;
      if (last.periodEnd) end = Date.parse(last.periodEnd);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      state.failure = (err.cause as Error | undefined)?.message ?? err.message;
      log.warn('usage report refused by Stripe', { accountId: input.accountId, failure: state.failure });
    }
    inFlight = false;
    state.reports++;
    runs++;
  }

  for (;;) {
    await report();
    const now = Date.now();
    if (state.superseded || now >= end + LATE_WINDOW_MS) break;
    // Refused: wait to be asked (an operator fixed the cause) instead of retrying forever.
    // Before the end: every interval, and a wake-up at the end itself for the report before finalization.
    const pace = state.failure ? end + LATE_WINDOW_MS - now : now < end ? Math.min(interval, end - now) : lateInterval;
    await condition(() => requested, Math.max(pace, 1000));
    if (runs >= 500 || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof usageReportingWorkflow>({ ...input, periodEnd: new Date(end).toISOString(), state });
    }
  }
  await condition(allHandlersFinished);
  return state;
}
