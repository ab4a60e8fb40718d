import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { newId } from '../platform/ids';
import { isGauge, type Meter } from '../platform/meters';
import { fromNano, toNano } from './decimal';
import { createLimitConfig, type AccountLimit, type LimitMode } from './limit-config';
import { admitDirect, keyOf, renewLeases, settleReservation, sweepExpired, wantedSince, type LimitKey } from './limit-ledger';
import { AppError } from '../platform/errors';
import { recordLimitCheckWait } from '../platform/metrics';
import { createCarveWriter, type PendingCarve } from './carve-writer';
import { createUsageView, type UsageSnapshot, type UsageViewOptions } from './usage-view';
import { capLimit } from './spend-cap-budget';

export interface CheckInput {
  accountId: string;
  meter: Meter;
  amount: number;
  reserve?: boolean;
  ttlSeconds?: number;
}
export interface CheckResult {
  allowed: boolean;
  used: number;
  limit: number | null;
  remaining: number | null;
  mode: LimitMode;
  reservationId?: string;
  expiresAt?: string;
}

export const DEFAULT_RESERVATION_TTL_S = 300;
export const MAX_RESERVATION_TTL_S = 3_600;
/** Leases outlive every reservation carved from them; a live process renews them. */
const LEASE_TTL_MS = 2 * MAX_RESERVATION_TTL_S * 1000;
/** Margin for the clocks of Postgres and this process when comparing lease and reservation ends. */
const CLOCK_MARGIN_MS = 5_000;
/** A lease unused this long goes back anyway (a quiet process should not sit on allowance). */
const IDLE_LEASE_MS = 30_000;
/** A denial while other processes hold leases waits this long for them to come back... */
const DRAIN_MS = 1_500;
/** ...and processes holding leases look this often whether another one asked for them. */
const WANTED_POLL_MS = 250;

/** expiresAt: by this process's clock, with a margin; grantedAt: by Postgres' clock. */
interface LocalLease {
  id: string;
  free: bigint;
  expiresAt: number;
  usedAt: number;
  grantedAt: number;
}
/** `pendingSum` is the sum of `pending` as last filtered: against `filteredFor`, after `filteredAt` writes. */
interface KeyState {
  key: LimitKey;
  lease?: LocalLease;
  pending: PendingCarve[];
  slowPaths: number;
  /** When this process last admitted on this key through Postgres (ms). */
  slowAt?: number;
  pendingSum: bigint;
  filteredFor?: UsageSnapshot;
  filteredAt: number;
}

export interface LimitCheckerOptions extends UsageViewOptions {
  sweepMs?: number;
}

/**
 * Limit checks answered from memory. Metered usage comes from a per-process snapshot no older
 * than a second (usage-view.ts). Admissions under a hard limit come from allowance this process
 * leased from Postgres (limit-ledger.ts) while the limit is far; near it, every admission is one
 * Postgres transaction on the counter row. Either way metered + reserved + leased <= limit holds
 * in Postgres, across processes. Reservations carved from a lease are written behind, in
 * batches (carve-writer.ts); a crash loses them with the lease's unused rest, and the lease
 * keeps those units counted until it expires: under-admission, never admission past the limit.
 */
export function createLimitChecker(deps: { db: Db; store: MeteringStore }, opts: LimitCheckerOptions = {}) {
  const config = createLimitConfig(deps.db);
  const states = new Map<string, KeyState>();
  const view = createUsageView(deps, opts);
  const writer = createCarveWriter(deps.db);

  const stateOf = (key: LimitKey): KeyState => {
    const id = keyOf(key);
    let s = states.get(id);
    if (!s) {
      s = { key, pending: [], slowPaths: 0, pendingSum: 0n, filteredAt: -1 };
      states.set(id, s);
    }
    return s;
  };

  /**
   * Reservations of this process that the snapshot cannot contain yet. Which those are changes
   * only with a new snapshot or a completed write (each a few times a second), so the list is
   * filtered then, not on every check.
   */
  const pendingSum = (s: KeyState, snap: UsageSnapshot): bigint => {
    if (s.filteredFor !== snap || s.filteredAt !== writer.writes()) {
      s.pending = s.pending.filter((c) => c.xid === undefined || !snap.sees(c.xid));
      s.pendingSum = s.pending.reduce((sum, c) => sum + c.amount, 0n);
      s.filteredFor = snap;
      s.filteredAt = writer.writes();
    }
    return s.pendingSum;
  };
  /** A meter's usage as a check counts it: metered and reserved as of the snapshot, plus this process's reservations not in it yet. */
  const usedOf = (s: KeyState | undefined, meter: Meter, snap: UsageSnapshot): bigint =>
    snap.metered[meter] + snap.reserved[meter] + (s ? pendingSum(s, snap) : 0n);
  const addPending = (s: KeyState, carve: PendingCarve): void => {
    s.pending.push(carve);
    // Written before the snapshot the sum was last filtered against was read: already in it.
    if (carve.xid === undefined || !s.filteredFor?.sees(carve.xid)) s.pendingSum += carve.amount;
  };

  /**
   * Under a spend cap the limit of a meter is what the cap leaves after the account's other
   * priced meters: their usage as this check sees it (snapshot plus this process's reservations
   * not in it yet), so no query per check. Postgres re-checks it under the counters' locks.
   */
  const capped = (l: AccountLimit, accountId: string, meter: Meter, snap: UsageSnapshot): AccountLimit => {
    if (!l.budget) return l;
    const used = (m: string): bigint => usedOf(states.get(keyOf({ accountId, meter: m, periodStart: l.periodStart })), m as Meter, snap);
    return { ...l, limit: capLimit(l.budget, meter, used) };
  };

  const answer = (allowed: boolean, used: bigint, l: AccountLimit, reservation?: { id: string; expiresAt: number }): CheckResult => ({
    allowed,
    used: fromNano(used),
    limit: l.limit === null ? null : fromNano(l.limit),
    remaining: l.limit === null ? null : fromNano(l.limit > used ? l.limit - used : 0n),
    mode: l.mode,
    ...(reservation && { reservationId: reservation.id, expiresAt: new Date(reservation.expiresAt).toISOString() }),
  });

  /** Through Postgres: returns this process's lease first (its rest may be what is needed). */
  async function admitSlow(
    s: KeyState,
    l: AccountLimit,
    amount: bigint,
    reservation: { id: string; expiresAt: number },
    snap: UsageSnapshot,
  ): Promise<CheckResult> {
    s.slowPaths++;
    recordLimitCheckWait('postgres');
    try {
      return await admitThroughPostgres(s, l, amount, reservation, snap);
    } finally {
      s.slowPaths--;
    }
  }

  async function admitThroughPostgres(
    s: KeyState,
    l: AccountLimit,
    amount: bigint,
    reservation: { id: string; expiresAt: number },
    checked: UsageSnapshot,
  ): Promise<CheckResult> {
    // A lease pays off for a key checked again soon; an account checked once in a while would
    // only take one and give it back unused (two more writes), so the first admission takes none.
    const wantLease = s.slowAt !== undefined && Date.now() - s.slowAt < IDLE_LEASE_MS;
    s.slowAt = Date.now();
    if (s.lease) {
      const id = s.lease.id;
      s.lease = undefined;
      await writer.returnLease(id);
    }
    const deadline = Date.now() + DRAIN_MS;
    // The check's own snapshot first (asking the view again would count as another check of the
    // account); a current one after each wait for leases to come back.
    let snap = checked;
    for (;;) {
      const metered = snap.metered[s.key.meter as Meter];
      const r = await admitDirect(deps.db, {
        ...s.key,
        amount,
        metered,
        limit: l.limit,
        ...(l.budget && { budget: { cap: l.budget, metered: snap.metered } }),
        reservationId: reservation.id,
        expiresAt: reservation.expiresAt,
        wantLease,
        leaseExpiresAt: Date.now() + LEASE_TTL_MS,
      });
      // `used` from the snapshot, as on the fast path: Postgres' sums are newer than its metered usage.
      const used = () => metered + snap.reserved[s.key.meter as Meter] + pendingSum(s, snap);
      if (r.allowed) {
        addPending(s, { ...s.key, id: reservation.id, amount, expiresAt: reservation.expiresAt, leaseId: null, writtenAt: Date.now(), xid: r.xid });
        if (r.lease) {
          // Two slow paths of this process may both have taken one: keep one, give the other back.
          const other = s.lease as LocalLease | undefined; // set by a concurrent slow path meanwhile
          if (other) writer.returnLease(other.id).catch(() => undefined);
          s.lease = {
            id: r.lease.id,
            free: r.lease.size,
            expiresAt: r.lease.expiresAt - CLOCK_MARGIN_MS,
            usedAt: Date.now(),
            grantedAt: r.lease.expiresAt - LEASE_TTL_MS,
          };
        }
        return answer(true, used(), l, reservation);
      }
      // Allowance other processes hold unused comes back when they go idle: wait for it.
      if (!r.returnable || Date.now() >= deadline) return answer(false, used(), l);
      await new Promise((resolve) => setTimeout(resolve, 100));
      snap = await view.snapshot(checked.period);
    }
  }

  const giveBack = (s: KeyState): void => {
    const lease = s.lease!;
    s.lease = undefined;
    writer.returnLease(lease.id).catch(() => undefined); // unreturned, it expires
  };

  // Another process was refused while leases held allowance (it asked after the lease was
  // granted, both by Postgres' clock): give those back now, whatever this process's own demand.
  // One indexed read of the counters asked for lately, only while this process holds leases.
  let lastWantedPoll = 0;
  let polling = false;
  function returnWanted(now: number): void {
    if (polling || now - lastWantedPoll < WANTED_POLL_MS) return;
    let since = Infinity;
    for (const s of states.values()) if (s.lease && s.lease.grantedAt < since) since = s.lease.grantedAt;
    if (since === Infinity) return;
    polling = true;
    lastWantedPoll = now;
    wantedSince(deps.db, since)
      .then((wanted) => {
        for (const s of states.values()) if (s.lease && (wanted.get(keyOf(s.key)) ?? 0) > s.lease.grantedAt) giveBack(s);
      })
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }

  // Housekeeping: idle and wanted leases go back, living ones are renewed, expired rows are swept.
  let lastSweep = 0;
  const sweepMs = opts.sweepMs ?? 1_000;
  const housekeeping = setInterval(() => {
    const now = Date.now();
    returnWanted(now);
    const renew: LocalLease[] = [];
    for (const s of states.values()) {
      const lease = s.lease;
      if (lease && now - lease.usedAt > IDLE_LEASE_MS) giveBack(s);
      else if (lease && lease.expiresAt - now < LEASE_TTL_MS / 2) renew.push(lease);
      if (!s.lease && s.slowPaths === 0 && s.pending.every((c) => c.writtenAt !== undefined && now - c.writtenAt > 60_000)) states.delete(keyOf(s.key));
    }
    if (renew.length > 0) {
      renewLeases(
        deps.db,
        renew.map((l) => l.id),
        now + LEASE_TTL_MS,
      )
        .then((until) => {
          for (const l of renew) if (until.has(l.id)) l.expiresAt = until.get(l.id)! - CLOCK_MARGIN_MS;
        })
        .catch(() => undefined);
    }
    if (now - lastSweep >= sweepMs) {
      lastSweep = now;
      sweepExpired(deps.db).catch(() => undefined);
    }
  }, 100);
  housekeeping.unref();

  return {
    async check(input: CheckInput): Promise<CheckResult> {
      const limits = await config.get(input.accountId, input.meter);
      const period = { accountId: input.accountId, start: limits.periodStart, end: limits.periodEnd };
      const snap = await view.snapshot(period);
      const l = capped(limits, input.accountId, input.meter, snap);
      const metered = snap.metered[input.meter];
      const amount = toNano(input.amount);
      if (l.limit === null) return answer(true, metered, l);
      // Storage is a level, not a flow: the latest level plus the amount, nothing reserved.
      if (isGauge(input.meter)) return answer(l.mode === 'soft' || metered + amount <= l.limit, metered, l);

      const s = stateOf({ accountId: input.accountId, meter: input.meter, periodStart: l.periodStart });
      const used = usedOf(s, input.meter, snap);
      if (input.reserve === false) return answer(l.mode === 'soft' || used + amount <= l.limit, used, l);

      const now = Date.now();
      const reservation = { id: newId('rsv'), expiresAt: now + (input.ttlSeconds ?? DEFAULT_RESERVATION_TTL_S) * 1000 };
      const lease = s.lease;
      if (l.mode === 'soft' || (lease && lease.free >= amount && reservation.expiresAt <= lease.expiresAt)) {
        if (lease && l.mode !== 'soft') {
          lease.free -= amount;
          lease.usedAt = now;
        }
        const carve = { ...s.key, ...reservation, amount, leaseId: l.mode === 'soft' ? null : lease!.id };
        addPending(s, carve);
        writer.add(carve);
        return answer(true, used + amount, l, reservation);
      }
      return admitSlow(s, l, amount, reservation, snap);
    },
    /**
     * Commit the amount actually used (at most the reserved one; the rest is freed now) or
     * release all of it. A committed reservation counts until the usage event whose id is the
     * reservation's id is ingested, then only the event counts.
     */
    async settle(input: { reservationId: string; action: 'commit' | 'release'; amount?: number }) {
      const args = { id: input.reservationId, action: input.action, amount: input.amount === undefined ? undefined : toNano(input.amount) };
      let r = await settleReservation(deps.db, args);
      // Admitted from a lease here a moment ago: it may still be queued for writing.
      if ('found' in r && !r.found) {
        await writer.drain();
        r = await settleReservation(deps.db, args);
      }
      if ('tooLarge' in r) {
        throw new AppError('conflict', `amount is more than the ${fromNano(r.tooLarge)} reserved; report the rest as a usage event`, [
          { path: ['body', 'amount'], message: 'more than reserved' },
        ]);
      }
      if (!r.found) throw new AppError('not_found', 'No open reservation with this id: it was released, has expired, or never existed');
      // This process's own not-yet-seen copy shrinks with it, so its `used` follows at once.
      for (const st of states.values()) {
        for (const c of st.pending)
          if (c.id === input.reservationId) {
            c.amount = r.amount;
            st.filteredFor = undefined;
          }
      }
      return {
        reservationId: input.reservationId,
        status: input.action === 'commit' ? 'committed' : 'released',
        amount: fromNano(r.amount),
        expiresAt: new Date(r.expiresAt).toISOString(),
      };
    },
    /** Writes what is queued (tests and shutdown). */
    flush: () => writer.drain(),
    /** Graceful stop: queued reservations are written and unused allowance goes back. */
    async close(): Promise<void> {
      clearInterval(housekeeping);
      view.close();
      const leases = [...states.values()].flatMap((s) => (s.lease ? [s.lease.id] : []));
      await Promise.all(leases.map((id) => writer.returnLease(id))).catch(() => undefined);
      await writer.drain().catch(() => undefined);
    },
  };
}

export type LimitChecker = ReturnType<typeof createLimitChecker>;
