import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../platform/config';
import { usageAlertsWorkflow } from '../workflows/usage-alerts';
import { stripeReconcileWorkflow } from '../workflows/stripe-reconcile';

type Interval = `${number} minute${'' | 's'}`;

/** The Temporal Schedules the service runs on, by id. */
export function scheduleIds(config: Pick<Config, 'STRIPE_SECRET_KEY'>): string[] {
  return ['usage-alerts', ...(config.STRIPE_SECRET_KEY ? ['stripe-reconcile'] : [])];
}

/**
 * Creates the service's Schedules, or brings existing ones to this version's spec, action and
 * policies (a paused Schedule stays paused). Every process that runs workers calls it at start
 * (`npm start` and bin/worker.ts), so several at once are normal: a create that loses the race
 * finds the Schedule and updates it to the same content.
 */
export async function ensureSchedules(temporal: Client, config: Pick<Config, 'STRIPE_SECRET_KEY' | 'TEMPORAL_TASK_QUEUE'>): Promise<void> {
  const every = async (scheduleId: string, interval: Interval, workflowType: typeof usageAlertsWorkflow | typeof stripeReconcileWorkflow) => {
    const wanted = {
      spec: { intervals: [{ every: interval }] },
      action: { type: 'startWorkflow' as const, workflowType, taskQueue: config.TEMPORAL_TASK_QUEUE, args: [] as [] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    };
    try {
      await temporal.schedule.create({ scheduleId, ...wanted });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await temporal.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...wanted }));
    }
  };
  await every('usage-alerts', '1 minute', usageAlertsWorkflow);
  // Lost webhooks: Stripe's events lists are checked for events that were never delivered.
  if (config.STRIPE_SECRET_KEY) await every('stripe-reconcile', '5 minutes', stripeReconcileWorkflow);
}
