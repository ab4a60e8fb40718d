/** Shared steps of the metering tests: a tenant, ingestion and the usage dashboard, over real HTTP. */
import { createIngestor } from '../../metering/ingest';
import { call, type Reply } from './http';
import { createAccount, createServiceKey } from './factories';
import type { TestStack } from './stack';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface Tenant {
  accountId: string;
  apiKey: string;
}
export interface IngestReply {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; message: string }[];
}
export interface UsageRow {
  date: string;
  meter: string;
  value: number;
  average?: number;
}

/** One service key per stack is enough: it may write usage for any account. */
const serviceKeys = new WeakMap<TestStack, Promise<string>>();
export function serviceKey(stack: TestStack): Promise<string> {
  let key = serviceKeys.get(stack);
  if (!key) {
    key = createServiceKey(stack).then((k) => k.key);
    serviceKeys.set(stack, key);
  }
  return key;
}

export const newTenant = (stack: TestStack, name = 'Metered'): Promise<Tenant> => createAccount(stack, name);

export async function postEvents(stack: TestStack, events: unknown[], url = stack.url): Promise<Reply<IngestReply>> {
  return call<IngestReply>(url, 'POST', '/v1/usage/events', { token: await serviceKey(stack), body: { events } });
}

/** Ingests and insists on a 200 with nothing rejected. */
export async function ingestOk(stack: TestStack, events: unknown[]): Promise<IngestReply> {
  const reply = await postEvents(stack, events);
  if (reply.status !== 200 || reply.body.rejected.length > 0) throw new Error(`ingest failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function usage(stack: TestStack, apiKey: string, query: Record<string, string | undefined>): Promise<UsageRow[]> {
  const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  const reply = await call(stack.url, 'GET', `/dashboard/usage?${qs}`, { token: apiKey });
  if (reply.status !== 200) throw new Error(`GET /dashboard/usage?${qs}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.usage as UsageRow[];
}

/** Day -> value for one meter (and the average for the gauge). */
export async function daily(stack: TestStack, apiKey: string, meter: string, startDate: string, endDate: string, extra: Record<string, string> = {}) {
  const rows = await usage(stack, apiKey, { startDate, endDate, meterType: meter, ...extra });
  return Object.fromEntries(rows.map((r) => [r.date, r.average === undefined ? r.value : { value: r.value, average: r.average }]));
}

export async function billing(stack: TestStack, apiKey: string) {
  const reply = await call(stack.url, 'GET', '/dashboard/billing', { token: apiKey });
  if (reply.status !== 200) throw new Error(`GET /dashboard/billing: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const utcMidnight = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * Runs `fn` with the API's ingestion clock pinned at `nowMs`, for events that are outside the
 * real 35-day window (a DST change months away). Routes read `deps.ingestor` per request, so
 * swapping it changes only the clock of the window check; everything else is the real path.
 */
export async function withIngestClock<T>(stack: TestStack, nowMs: number, fn: () => Promise<T>): Promise<T> {
  const real = stack.deps.ingestor;
  stack.deps.ingestor = createIngestor({ db: stack.deps.db, store: stack.deps.store, now: () => nowMs });
  try {
    return await fn();
  } finally {
    stack.deps.ingestor = real;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether this run's ClickHouse is the 2 x 2 cluster (TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1). */
export const onCluster = process.env.TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER === '1';

/**
 * A test's timeout when it inserts many batches: on the cluster every insert waits for two
 * replicas (a quorum) and goes through a Distributed table, several times slower on these cores.
 */
export const insertHeavyTimeout = (singleServerMs?: number): number | undefined => (onCluster ? 600_000 : singleServerMs);

/**
 * A table or view for DDL as the mode needs it: on a cluster (TOLLBOOTH_TEST_CLICKHOUSE_CLUSTER=1)
 * rows live in `<table>_local` on every server (views keep their names) and DDL runs ON CLUSTER.
 */
export const onEveryServer = (stack: TestStack, name: string, kind: 'table' | 'view' = 'table'): string => {
  const { cluster } = stack.deps.store;
  if (!cluster) return `{db:Identifier}.${name}`;
  return `{db:Identifier}.${name}${kind === 'table' ? '_local' : ''} ON CLUSTER ${cluster}`;
};
