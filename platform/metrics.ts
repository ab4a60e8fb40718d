import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client), served by GET /metrics. Label values come from
 * small fixed sets (route templates, outcomes, Stripe event types, workflow types), never from
 * ids, so the series stay few.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tollbooth_' });

export const httpRequestSeconds = new Histogram({
  name: 'tollbooth_http_request_duration_seconds',
  help: 'API request latency by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  // From the 2 ms limit check to multi-second ingestion batches.
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const usageEvents = new Counter({
  name: 'tollbooth_usage_events_total',
  help: 'Usage events received, by outcome: accepted (counted), duplicate (id already counted), rejected (invalid)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const accepted = usageEvents.labels('accepted');
const duplicate = usageEvents.labels('duplicate');
const rejected = usageEvents.labels('rejected');

/** One ingestion batch's outcome. */
export function recordUsageEvents(result: { accepted: number; duplicates: number; rejected: readonly unknown[] }): void {
  accepted.inc(result.accepted);
  duplicate.inc(result.duplicates);
  rejected.inc(result.rejected.length);
}

const limitChecks = new Counter({
  name: 'tollbooth_limit_checks_total',
  help: 'Limit checks by decision: admitted or denied',
  labelNames: ['decision'] as const,
  registers: [registry],
});
// Bound once: recording on the hot path is one increment, no label lookup or allocation.
const admitted = limitChecks.labels('admitted');
const denied = limitChecks.labels('denied');

/** One limit check's decision; cheap enough for the /v1/usage/check hot path. */
export function recordLimitCheck(allowed: boolean): void {
  (allowed ? admitted : denied).inc();
}

export const stripeWebhookEvents = new Counter({
  name: 'tollbooth_stripe_webhook_events_total',
  help: 'Stripe webhook deliveries by endpoint, event type and outcome (handled, ignored, duplicate, invalid_signature, start_failed)',
  labelNames: ['endpoint', 'type', 'outcome'] as const,
  registers: [registry],
});

export const workflowStarts = new Counter({
  name: 'tollbooth_workflow_starts_total',
  help: 'Workflow starts (plain, signal-with-start, update-with-start) by workflow type and outcome: started, already_started, failed (start refused or the update failed)',
  labelNames: ['workflow', 'outcome'] as const,
  registers: [registry],
});

const usageViewReads = new Histogram({
  name: 'tollbooth_usage_view_read_seconds',
  help: "Reads of the limit checks' usage snapshots (Postgres sums, then ClickHouse usage), by kind: refresh (all active accounts, in the background) or demand (a check found none fresh enough)",
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5],
  registers: [registry],
});
const refreshReads = usageViewReads.labels('refresh');
const demandReads = usageViewReads.labels('demand');

/** One usage-snapshot read; a refresh slower than the snapshot's allowed age makes checks wait. */
export function recordUsageViewRead(kind: 'refresh' | 'demand', seconds: number): void {
  (kind === 'refresh' ? refreshReads : demandReads).observe(seconds);
}

const limitCheckWaits = new Counter({
  name: 'tollbooth_limit_check_waits_total',
  help: 'Limit checks that waited instead of answering from memory: snapshot (for a usage read) or postgres (admitted through a counter-row transaction)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
const snapshotWaits = limitCheckWaits.labels('snapshot');
const postgresWaits = limitCheckWaits.labels('postgres');

export function recordLimitCheckWait(reason: 'snapshot' | 'postgres'): void {
  (reason === 'snapshot' ? snapshotWaits : postgresWaits).inc();
}
