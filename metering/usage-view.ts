import { LRUCache } from 'lru-cache';
import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { METERS, isGauge, type Meter } from '../platform/meters';
import { meteredUsageOf, type AccountPeriod } from './metered-usage';
import { keyOf, readSums } from './limit-ledger';
import { recordLimitCheckWait, recordUsageViewRead } from '../platform/metrics';

/** One account's usage as this process last read it: metered (ClickHouse) and reserved (Postgres). */
export interface UsageSnapshot {
  period: AccountPeriod;
  metered: Record<Meter, bigint>;
  reserved: Record<Meter, bigint>;
  /** When the reads began (ms): everything stored before this instant is in the snapshot. */
  asOf: number;
  /** Whether a Postgres transaction (by id) is in `reserved`. */
  sees: (xid: string) => boolean;
}

interface Entry {
  period: AccountPeriod;
  snapshot?: UsageSnapshot;
  loading?: Promise<UsageSnapshot>;
  askedAt: number;
}

export interface UsageViewOptions {
  /** A check is never answered from a snapshot older than this (the bound on how `used` lags). */
  maxLagMs?: number;
  /** Accounts checked recently are re-read in the background this often, in one batch. */
  refreshMs?: number;
  /** ...for this long after their last check. */
  activeMs?: number;
  /**
   * Accounts a refresh re-reads although not checked since their last read (the most recently
   * checked first): an account back after a pause then finds its snapshot fresh. Accounts checked
   * since their last read are re-read regardless, so this bounds only the extra cost.
   */
  readAhead?: number;
  maxAccounts?: number;
  now?: () => number;
}

const COUNTERS = METERS.filter((m) => !isGauge(m));
const zero = () => Object.fromEntries(METERS.map((m) => [m, 0n])) as Record<Meter, bigint>;
const samePeriod = (a: AccountPeriod, b: AccountPeriod) => a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime();

/**
 * What limit checks read instead of querying per check: a snapshot per account, refreshed for
 * all recently checked accounts together in one ClickHouse and one Postgres query. A check waits
 * for a read only when its account's snapshot is missing, of another period, or older than
 * `maxLagMs`; at steady load the refresh keeps every active snapshot fresher than that.
 */
export function createUsageView(deps: { db: Db; store: MeteringStore }, opts: UsageViewOptions = {}) {
  const maxLagMs = opts.maxLagMs ?? 1_000;
  const refreshMs = opts.refreshMs ?? 250;
  const activeMs = opts.activeMs ?? 60_000;
  const readAhead = opts.readAhead ?? 1_000;
  const now = opts.now ?? Date.now;
  const entries = new LRUCache<string, Entry>({ max: opts.maxAccounts ?? 100_000 });
  const metered = meteredUsageOf(deps.store);

  async function read(periods: AccountPeriod[]): Promise<Map<string, UsageSnapshot>> {
    const asOf = now();
    const keys = periods.flatMap((p) => COUNTERS.map((meter) => ({ accountId: p.accountId, meter, periodStart: p.start })));
    // Postgres first: a reservation settled by its usage event before this read had its event
    // stored before it, hence before the ClickHouse read, so `used` never loses those units.
    const { sums, sees } = await readSums(deps.db, keys);
    const usage = await metered(periods);
    return new Map(
      periods.map((p) => {
        const reserved = zero();
        for (const meter of COUNTERS) {
          const row = sums.get(keyOf({ accountId: p.accountId, meter, periodStart: p.start }));
          reserved[meter] = row?.reserved ?? 0n;
        }
        return [p.accountId, { period: p, metered: usage.get(p.accountId)!, reserved, asOf, sees }];
      }),
    );
  }

  /** Reads these accounts together; every waiting caller of one of them gets its snapshot. */
  function load(periods: AccountPeriod[], kind: 'refresh' | 'demand'): Promise<Map<string, UsageSnapshot>> {
    const started = performance.now();
    const batch = read(periods);
    batch.then(
      () => recordUsageViewRead(kind, (performance.now() - started) / 1000),
      () => undefined,
    );
    for (const p of periods) {
      const entry = entries.get(p.accountId) ?? { period: p, askedAt: 0 };
      const loading = batch.then((m) => m.get(p.accountId)!);
      entry.loading = loading;
      entries.set(p.accountId, entry);
      loading.then(
        (snapshot) => {
          if (entry.loading === loading) entry.loading = undefined;
          if (samePeriod(entry.period, snapshot.period) && (!entry.snapshot || entry.snapshot.asOf <= snapshot.asOf)) entry.snapshot = snapshot;
        },
        () => {
          if (entry.loading === loading) entry.loading = undefined;
        },
      );
    }
    return batch;
  }

  // Demand reads (checks that found no fresh snapshot): one batch in flight, the accounts asked
  // for meanwhile queued for the next one. Many accounts checked rarely then cost a read per
  // batch, not a read per check.
  let queued: { periods: Map<string, AccountPeriod>; batch: Promise<Map<string, UsageSnapshot>> } | undefined;
  let demandInFlight: Promise<unknown> = Promise.resolve();
  function demand(period: AccountPeriod): Promise<UsageSnapshot> {
    if (!queued) {
      const periods = new Map<string, AccountPeriod>();
      const batch = demandInFlight.then(() => {
        queued = undefined;
        return load([...periods.values()], 'demand');
      });
      queued = { periods, batch };
      demandInFlight = batch.catch(() => undefined);
    }
    queued.periods.set(period.accountId, period);
    return queued.batch.then((m) => m.get(period.accountId)!);
  }

  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
      const since = now() - activeMs;
      const asked: AccountPeriod[] = [];
      const idle: Entry[] = [];
      for (const [, e] of entries.entries()) {
        if (e.loading || e.askedAt < since) continue;
        // Accounts checked since their last read, always. The others only up to `readAhead`:
        // with many accounts each checked less often than a snapshot lives, re-reading them all
        // every round would cost more than reading each when it is checked (a demand read,
        // batched, once per check at most).
        if (!e.snapshot || e.askedAt > e.snapshot.asOf) asked.push(e.period);
        else idle.push(e);
      }
      const ahead = idle.length <= readAhead ? idle : idle.sort((a, b) => b.askedAt - a.askedAt).slice(0, readAhead);
      const periods = [...asked, ...ahead.map((e) => e.period)];
      if (periods.length > 0) await load(periods, 'refresh');
    } catch {
      // A failed refresh leaves the snapshots as they were; checks that find theirs too old read it themselves.
    } finally {
      refreshing = false;
    }
  }

  return {
    async snapshot(period: AccountPeriod): Promise<UsageSnapshot> {
      let entry = entries.get(period.accountId);
      if (!entry || !samePeriod(entry.period, period)) {
        entry = { period, askedAt: 0 };
        entries.set(period.accountId, entry);
      }
      entry.askedAt = now();
      if (!timer) {
        timer = setInterval(() => void refresh(), refreshMs);
        timer.unref();
      }
      const fresh = entry.snapshot;
      if (fresh && now() - fresh.asOf <= maxLagMs) return fresh;
      recordLimitCheckWait('snapshot');
      // One read per account at a time: a check that finds one in flight waits for it, whatever
      // its age when it lands. Under overload `used` then lags more, but the stores never get a
      // read per check (which would only slow every read down further).
      if (entry.loading) return entry.loading;
      const waiting = demand(period);
      entry.loading = waiting; // later checks of this account join it
      const done = () => {
        if (entry.loading === waiting) entry.loading = undefined;
      };
      waiting.then(done, done);
      return waiting;
    },
    /** The latest snapshot of an account, without reading anything. */
    peek(accountId: string): UsageSnapshot | undefined {
      return entries.peek(accountId)?.snapshot;
    },
    close(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type UsageView = ReturnType<typeof createUsageView>;
