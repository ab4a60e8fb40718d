import type { PoolClient } from 'pg';
import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { newId } from '../platform/ids';
import { nanoText, toNano } from './decimal';
import { capLimit, type CapBudget } from './spend-cap-budget';

/**
 * The durable side of limit checks, in Postgres. Per account, meter and period one row of
 * limit_counters sums what is admitted beyond metered usage: open reservations (`reserved`)
 * and allowance leased to API processes (`leased`). Every change of a sum happens in the
 * transaction that changes the rows it adds up, under the row's lock, so a hard limit holds
 * across processes: metered + reserved + leased <= limit whenever something is granted.
 * Amounts cross this module as BigInt nanounits (exact, as the numeric columns are).
 */
export interface LimitKey {
  accountId: string;
  meter: string;
  periodStart: Date;
}
export const keyOf = (k: LimitKey): string => `${k.accountId}|${k.meter}|${k.periodStart.getTime()}`;

/** reserved: open reservations; settling: reservations whose event arrived moments ago; leased: unused leases. */
export interface Sums {
  reserved: bigint;
  settling: bigint;
  leased: bigint;
}
const NO_SUMS: Sums = { reserved: 0n, settling: 0n, leased: 0n };
/** Everything a hard limit must leave room for besides metered usage. */
export const held = (s: Sums): bigint => s.reserved + s.settling + s.leased;
export interface Lease {
  id: string;
  size: bigint;
  expiresAt: number;
}

/** A reservation admitted in memory (from a lease, or under a soft limit), written in batches. */
export interface Carve extends LimitKey {
  id: string;
  amount: bigint;
  expiresAt: number;
  leaseId: string | null;
}

/** A lease is taken when the headroom left after the request is this many times the request. */
const LEASE_MIN_MULTIPLE = 32n;
/** ...and it is this fraction of that headroom, so leases shrink geometrically near the limit. */
const LEASE_FRACTION = 16n;
/** Settled reservations stay counted this long: longer than any process's metered view may lag. */
export const SETTLE_GRACE_MS = 2_000;

const nano = (v: string | null | undefined): bigint => (v ? toNano(v.replace(/^-/, '')) * (v.startsWith('-') ? -1n : 1n) : 0n);

async function lockSums(tx: PoolClient, k: LimitKey): Promise<Sums> {
  await tx.query('INSERT INTO limit_counters (account_id, meter, period_start) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    k.accountId,
    k.meter,
    k.periodStart,
  ]);
  const { rows } = await tx.query<{ reserved: string; settling: string; leased: string }>(
    `SELECT reserved::text, settling::text, leased::text FROM limit_counters
     WHERE account_id = $1 AND meter = $2 AND period_start = $3 FOR UPDATE`,
    [k.accountId, k.meter, k.periodStart],
  );
  return { reserved: nano(rows[0]!.reserved), settling: nano(rows[0]!.settling), leased: nano(rows[0]!.leased) };
}

/** The counter rows of several meters of one account and period, locked in one order (no deadlock with applyDeltas). */
async function lockMany(tx: PoolClient, k: LimitKey, meters: readonly string[]): Promise<Map<string, Sums>> {
  const sorted = [...meters].sort();
  await tx.query('INSERT INTO limit_counters (account_id, meter, period_start) SELECT $1, m, $3 FROM unnest($2::text[]) m ON CONFLICT DO NOTHING', [
    k.accountId,
    sorted,
    k.periodStart,
  ]);
  const { rows } = await tx.query<{ meter: string; reserved: string; settling: string; leased: string }>(
    `SELECT meter, reserved::text, settling::text, leased::text FROM limit_counters
     WHERE account_id = $1 AND meter = ANY($2::text[]) AND period_start = $3 ORDER BY meter COLLATE "C" FOR UPDATE`,
    [k.accountId, sorted, k.periodStart],
  );
  return new Map(rows.map((r) => [r.meter, { reserved: nano(r.reserved), settling: nano(r.settling), leased: nano(r.leased) }]));
}

async function addSums(tx: PoolClient, k: LimitKey, d: Sums): Promise<void> {
  await tx.query(
    `UPDATE limit_counters SET reserved = reserved + $4::numeric, settling = settling + $5::numeric, leased = leased + $6::numeric,
       updated_at = now()
     WHERE account_id = $1 AND meter = $2 AND period_start = $3`,
    [k.accountId, k.meter, k.periodStart, nanoText(d.reserved), nanoText(d.settling), nanoText(d.leased)],
  );
}

export interface AdmitInput extends LimitKey {
  amount: bigint;
  /** The caller's view of metered usage for the period (lags by at most a second). */
  metered: bigint;
  /** null: no limit to respect (soft). */
  limit: bigint | null;
  /**
   * A spend cap this meter shares with the account's other priced meters: the limit is then
   * computed here, from every priced meter's metered usage (the caller's view) and what their
   * counters hold, under those counters' locks, so checks of several meters at once never
   * spend more than the cap together. `limit` is ignored.
   */
  budget?: { cap: CapBudget; metered: Readonly<Record<string, bigint>> };
  reservationId: string;
  expiresAt: number;
  /** Take a lease for the checks that follow, when the headroom allows one. */
  wantLease: boolean;
  leaseExpiresAt: number;
}
/** Refused: `returnable` is allowance held in leases that, given back, could admit the request. */
export type AdmitResult = { allowed: true; sums: Sums; lease: Lease | null; xid: string } | { allowed: false; sums: Sums; returnable: boolean };

/**
 * One admission through Postgres: the request's reservation is written durably, and (far from
 * the limit) a lease of headroom / 16 is taken so the next checks are admitted from memory.
 * Near the limit no lease is taken: every unit is admitted here, one request at a time.
 */
export function admitDirect(db: Db, input: AdmitInput): Promise<AdmitResult> {
  return inTransaction(db, async (tx) => {
    let sums: Sums;
    let limit = input.limit;
    let leasedElsewhere = false;
    const budget = input.budget;
    if (budget) {
      const all = await lockMany(tx, input, [...budget.cap.priced.keys()]);
      sums = all.get(input.meter)!;
      limit = capLimit(budget.cap, input.meter, (m) => (budget.metered[m] ?? 0n) + held(all.get(m)!));
      leasedElsewhere = [...all].some(([m, s]) => m !== input.meter && s.leased > 0n);
    } else sums = await lockSums(tx, input);
    const headroom = limit === null ? null : limit - input.metered - held(sums);
    if (headroom !== null && headroom < input.amount) {
      // Allowance other processes hold unused may be what is missing: ask them for it.
      if (sums.leased > 0n || leasedElsewhere) {
        await tx.query('UPDATE limit_counters SET wanted_at = now() WHERE account_id = $1 AND meter = ANY($2::text[]) AND period_start = $3 AND leased > 0', [
          input.accountId,
          budget ? [...budget.cap.priced.keys()] : [input.meter],
          input.periodStart,
        ]);
      }
      return { allowed: false, sums, returnable: sums.leased >= input.amount || leasedElsewhere };
    }
    await tx.query(
      `INSERT INTO limit_reservations (id, account_id, meter, period_start, amount, expires_at)
       VALUES ($1, $2, $3, $4, $5::numeric, $6)`,
      [input.reservationId, input.accountId, input.meter, input.periodStart, nanoText(input.amount), new Date(input.expiresAt)],
    );
    const left = headroom === null ? 0n : headroom - input.amount;
    // Whole multiples of the request: checks of one size use a lease up, leaving no useless crumbs.
    const size = input.wantLease && input.amount > 0n && left >= LEASE_MIN_MULTIPLE * input.amount ? (left / LEASE_FRACTION / input.amount) * input.amount : 0n;
    let lease: Lease | null = null;
    if (size > 0n) {
      const { rows } = await tx.query<{ id: string; expires_at: Date }>(
        `INSERT INTO limit_leases (id, account_id, meter, period_start, size, expires_at) VALUES ($1, $2, $3, $4, $5::numeric, $6)
         RETURNING id, expires_at`,
        [newId('lse'), input.accountId, input.meter, input.periodStart, nanoText(size), new Date(input.leaseExpiresAt)],
      );
      lease = { id: rows[0]!.id, size, expiresAt: rows[0]!.expires_at.getTime() };
    }
    const delta = { ...NO_SUMS, reserved: input.amount, leased: size };
    await addSums(tx, input, delta);
    const {
      rows: [txn],
    } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    return { allowed: true, sums: { ...sums, reserved: sums.reserved + delta.reserved, leased: sums.leased + delta.leased }, lease, xid: txn!.xid };
  });
}

/**
 * Writes reservations admitted in memory and returns leases, in one transaction. The lease
 * already holds the carved units in `leased`; writing them moves them to `reserved`. Nothing
 * here can admit more, so the commit need not wait for the WAL flush: a crash before it leaves
 * the units in the lease, which expires after every reservation carved from it would have.
 */
export function writeCarves(db: Db, carves: readonly Carve[], leaseReturns: readonly string[]): Promise<string> {
  return inTransaction(db, async (tx) => {
    await tx.query('SET LOCAL synchronous_commit = off');
    const {
      rows: [txn],
    } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    const byKey = new Map<string, { key: LimitKey; delta: Sums }>();
    const deltaOf = (k: LimitKey) => {
      const id = keyOf(k);
      if (!byKey.has(id)) byKey.set(id, { key: k, delta: { ...NO_SUMS } });
      return byKey.get(id)!.delta;
    };
    if (carves.length > 0) {
      await tx.query(
        `INSERT INTO limit_reservations (id, account_id, meter, period_start, amount, expires_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::numeric[], $6::timestamptz[])`,
        [
          carves.map((c) => c.id),
          carves.map((c) => c.accountId),
          carves.map((c) => c.meter),
          carves.map((c) => c.periodStart),
          carves.map((c) => nanoText(c.amount)),
          carves.map((c) => new Date(c.expiresAt)),
        ],
      );
      const perLease = new Map<string, { carve: Carve; sum: bigint }>();
      for (const c of carves) {
        deltaOf(c).reserved += c.amount;
        if (c.leaseId) perLease.set(c.leaseId, { carve: c, sum: (perLease.get(c.leaseId)?.sum ?? 0n) + c.amount });
      }
      if (perLease.size > 0) {
        const { rows } = await tx.query<{ id: string }>(
          `UPDATE limit_leases l SET size = l.size - d.sum FROM unnest($1::text[], $2::numeric[]) d(id, sum) WHERE l.id = d.id RETURNING l.id`,
          [[...perLease.keys()], [...perLease.values()].map((p) => nanoText(p.sum))],
        );
        // A lease swept meanwhile already gave its units back: then only `reserved` grows.
        for (const r of rows) {
          const p = perLease.get(r.id)!;
          deltaOf(p.carve).leased -= p.sum;
        }
      }
    }
    if (leaseReturns.length > 0) {
      const { rows } = await tx.query<{ account_id: string; meter: string; period_start: Date; size: string }>(
        'DELETE FROM limit_leases WHERE id = ANY($1) RETURNING account_id, meter, period_start, size::text',
        [leaseReturns],
      );
      for (const r of rows) deltaOf({ accountId: r.account_id, meter: r.meter, periodStart: r.period_start }).leased -= nano(r.size);
    }
    await applyDeltas(tx, [...byKey.values()]);
    return txn!.xid;
  });
}

/** Adds to many counter rows, creating missing ones, in key order (no deadlock between processes). */
async function applyDeltas(tx: PoolClient, deltas: { key: LimitKey; delta: Sums }[]): Promise<void> {
  const rows = mergeDeltas(deltas)
    .filter((d) => d.delta.reserved !== 0n || d.delta.settling !== 0n || d.delta.leased !== 0n)
    .sort((a, b) => (keyOf(a.key) < keyOf(b.key) ? -1 : 1));
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO limit_counters AS c (account_id, meter, period_start, reserved, settling, leased)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[], $6::numeric[])
     ON CONFLICT (account_id, meter, period_start) DO UPDATE
       SET reserved = c.reserved + excluded.reserved, settling = c.settling + excluded.settling, leased = c.leased + excluded.leased,
           updated_at = now()`,
    [
      rows.map((r) => r.key.accountId),
      rows.map((r) => r.key.meter),
      rows.map((r) => r.key.periodStart),
      rows.map((r) => nanoText(r.delta.reserved)),
      rows.map((r) => nanoText(r.delta.settling)),
      rows.map((r) => nanoText(r.delta.leased)),
    ],
  );
}

/** One delta per key (an INSERT ... ON CONFLICT may not touch a row twice). */
function mergeDeltas(deltas: { key: LimitKey; delta: Sums }[]): { key: LimitKey; delta: Sums }[] {
  const byKey = new Map<string, { key: LimitKey; delta: Sums }>();
  for (const d of deltas) {
    const m = byKey.get(keyOf(d.key)) ?? { key: d.key, delta: { ...NO_SUMS } };
    m.delta = { reserved: m.delta.reserved + d.delta.reserved, settling: m.delta.settling + d.delta.settling, leased: m.delta.leased + d.delta.leased };
    byKey.set(keyOf(d.key), m);
  }
  return [...byKey.values()];
}

/** Extends living leases; returns the new expiry of each lease still there. */
export async function renewLeases(db: Db, ids: readonly string[], until: number): Promise<Map<string, number>> {
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    'UPDATE limit_leases SET expires_at = greatest(expires_at, $2) WHERE id = ANY($1) RETURNING id, expires_at',
    [ids, new Date(until)],
  );
  return new Map(rows.map((r) => [r.id, r.expires_at.getTime()]));
}

type Removed = { account_id: string; meter: string; period_start: Date; amount: string; settling?: boolean };
const deltasOf = (rows: Removed[], field: (r: Removed) => keyof Sums) =>
  rows.map((r) => ({ key: { accountId: r.account_id, meter: r.meter, periodStart: r.period_start }, delta: { ...NO_SUMS, [field(r)]: -nano(r.amount) } }));

/**
 * Frees what has expired: reservations past their lifetime (or settled past the grace period),
 * and leases of processes that stopped renewing them. Any process may run it; SKIP LOCKED lets
 * several run at once without waiting on each other. Returns how many rows it removed.
 */
export function sweepExpired(db: Db, batch = 5_000): Promise<number> {
  return inTransaction(db, async (tx) => {
    const reservations = await tx.query<Removed>(
      `DELETE FROM limit_reservations WHERE id IN (
         SELECT id FROM limit_reservations WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING account_id, meter, period_start, amount::text, settling`,
      [batch],
    );
    const leases = await tx.query<Removed>(
      `DELETE FROM limit_leases WHERE id IN (
         SELECT id FROM limit_leases WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING account_id, meter, period_start, size::text AS amount`,
      [batch],
    );
    await applyDeltas(tx, [...deltasOf(reservations.rows, (r) => (r.settling ? 'settling' : 'reserved')), ...deltasOf(leases.rows, () => 'leased')]);
    return reservations.rows.length + leases.rows.length;
  });
}

export type SettleOutcome = { found: false } | { found: true; amount: bigint; expiresAt: number; accountId: string };

/**
 * Commit (the actual amount, at most the reserved one: the rest is freed now) or release (all of
 * it is freed now). A committed reservation keeps counting until its usage event arrives.
 */
export function settleReservation(
  db: Db,
  input: { id: string; action: 'commit' | 'release'; amount?: bigint; expiresAt?: number },
): Promise<SettleOutcome | { tooLarge: bigint }> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ account_id: string; meter: string; period_start: Date; amount: string; expires_at: Date }>(
      `SELECT account_id, meter, period_start, amount::text, expires_at FROM limit_reservations
       WHERE id = $1 AND expires_at > now() AND NOT settling FOR UPDATE`,
      [input.id],
    );
    const r = rows[0];
    if (!r) return { found: false };
    const key = { accountId: r.account_id, meter: r.meter, periodStart: r.period_start };
    const amount = nano(r.amount);
    const keep = input.action === 'release' ? 0n : input.amount!;
    if (keep > amount) return { tooLarge: amount };
    const expiresAt = input.expiresAt ? Math.max(input.expiresAt, r.expires_at.getTime()) : r.expires_at.getTime();
    if (input.action === 'release') await tx.query('DELETE FROM limit_reservations WHERE id = $1', [input.id]);
    else
      await tx.query('UPDATE limit_reservations SET amount = $2::numeric, committed = true, expires_at = $3 WHERE id = $1', [
        input.id,
        nanoText(keep),
        new Date(expiresAt),
      ]);
    await lockSums(tx, key);
    await addSums(tx, key, { ...NO_SUMS, reserved: keep - amount });
    return { found: true, amount: keep, expiresAt, accountId: r.account_id };
  });
}

/**
 * Called by ingestion, in its transaction, for stored events whose id is a reservation's id: the
 * event now counts as metered usage, so the reservation stops counting in `used`; hard limits
 * keep counting it (`settling`) for SETTLE_GRACE_MS, until every process's metered view has the
 * event, then the sweeper removes it.
 */
export async function settleByEvents(tx: PoolClient, events: readonly { accountId: string; eventId: string }[]): Promise<void> {
  if (events.length === 0) return;
  const { rows } = await tx.query<Removed>(
    `UPDATE limit_reservations r SET settling = true, expires_at = least(r.expires_at, now() + $3::interval)
     FROM unnest($1::text[], $2::text[]) e(id, account_id)
     WHERE r.id = e.id AND r.account_id = e.account_id AND NOT r.settling
     RETURNING r.account_id, r.meter, r.period_start, r.amount::text`,
    [events.map((e) => e.eventId), events.map((e) => e.accountId), `${SETTLE_GRACE_MS} milliseconds`],
  );
  await applyDeltas(
    tx,
    rows.map((r) => ({
      key: { accountId: r.account_id, meter: r.meter, periodStart: r.period_start },
      delta: { reserved: -nano(r.amount), settling: nano(r.amount), leased: 0n },
    })),
  );
}

/** Which transactions a Postgres snapshot sees (`pg_current_snapshot()`: "xmin:xmax:xip,..."). */
export function snapshotSees(snapshot: string): (xid: string) => boolean {
  const [xmin, xmax, xip] = snapshot.split(':');
  const running = new Set((xip ?? '').split(',').filter(Boolean));
  const lo = BigInt(xmin!);
  const hi = BigInt(xmax!);
  return (xid) => {
    const x = BigInt(xid);
    return x < lo || (x < hi && !running.has(xid));
  };
}

/**
 * The sums of many keys (for the processes' periodic view), and the read's snapshot: a
 * process tells from it which of its own recent writes the sums contain.
 */
export async function readSums(db: Db, keys: readonly LimitKey[]): Promise<{ sums: Map<string, Sums>; sees: (xid: string) => boolean }> {
  const { rows } = await db.query<{
    account_id: string | null;
    meter: string;
    period_start: Date;
    reserved: string;
    settling: string;
    leased: string;
    snap: string;
  }>(
    `SELECT c.account_id, c.meter, c.period_start, c.reserved::text, c.settling::text, c.leased::text,
            pg_current_snapshot()::text AS snap
     FROM (SELECT 1) one LEFT JOIN (limit_counters c
       JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) k(account_id, meter, period_start)
         ON c.account_id = k.account_id AND c.meter = k.meter AND c.period_start = k.period_start) ON true`,
    [keys.map((k) => k.accountId), keys.map((k) => k.meter), keys.map((k) => k.periodStart)],
  );
  const sums = new Map<string, Sums>();
  for (const r of rows) {
    if (r.account_id === null) continue;
    sums.set(keyOf({ accountId: r.account_id, meter: r.meter, periodStart: r.period_start }), {
      reserved: nano(r.reserved),
      settling: nano(r.settling),
      leased: nano(r.leased),
    });
  }
  return { sums, sees: snapshotSees(rows[0]!.snap) };
}

/**
 * When another process last asked for each key's leased allowance, for the keys asked for after
 * `since` (ms, Postgres' clock): a process holding leases on them gives those back.
 */
export async function wantedSince(db: Db, since: number): Promise<Map<string, number>> {
  const { rows } = await db.query<{ account_id: string; meter: string; period_start: Date; wanted_at: Date }>(
    'SELECT account_id, meter, period_start, wanted_at FROM limit_counters WHERE wanted_at > $1',
    [new Date(since)],
  );
  return new Map(rows.map((r) => [keyOf({ accountId: r.account_id, meter: r.meter, periodStart: r.period_start }), r.wanted_at.getTime()]));
}
