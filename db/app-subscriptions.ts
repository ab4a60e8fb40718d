import type { Db } from '../platform/pg';
import { inTransaction } from '../platform/pg';
import { LIVE_SUBSCRIPTION_STATUSES } from './subscription-statuses';
import { isTie, statePatchParams, type SubscriptionStatePatch } from './subscription-state-patch';

export interface AppSubscription {
  id: string;
  appId: string;
  customerId: string | null;
  planId: string | null;
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  lastEventCreated: number;
  updatedAt: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
/** A row of app_subscriptions as pg returns it (bigint as a string, timestamptz as a Date). */
interface AppSubscriptionRow {
  id: string;
  app_id: string;
  customer_id: string | null;
  plan_id: string | null;
  status: string;
  cancel_at_period_end: boolean;
  current_period_start: Date | null;
  current_period_end: Date | null;
  last_event_created: string;
  created_at: Date;
  updated_at: Date;
}

const toSub = (r: AppSubscriptionRow): AppSubscription => ({
  id: r.id,
  appId: r.app_id,
  customerId: r.customer_id,
  planId: r.plan_id,
  status: r.status,
  cancelAtPeriodEnd: r.cancel_at_period_end,
  currentPeriodStart: iso(r.current_period_start),
  currentPeriodEnd: iso(r.current_period_end),
  lastEventCreated: Number(r.last_event_created),
  updatedAt: r.updated_at.toISOString(),
});

export interface AppSubscriptionPatch extends SubscriptionStatePatch {
  subscriptionId: string;
  appId: string;
  customerId?: string | null;
}

/**
 * Applies an event's state unless newer state is stored; fields the event lacks keep their value.
 * `duplicateOf`: the customer already has an older live subscription of this app (two
 * checkouts were paid); this one is the later and is to be cancelled. `tie`: applied over state
 * from an event of the same second (arrival order decided; the caller re-reads Stripe).
 */
export async function applyAppSubscriptionPatch(db: Db, p: AppSubscriptionPatch): Promise<{ applied: boolean; duplicateOf: string | null; tie: boolean }> {
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`app-subscriptions:${p.appId}`]);
    const before = (
      await tx.query<Pick<AppSubscriptionRow, 'last_event_created'>>('SELECT last_event_created FROM app_subscriptions WHERE id = $1 AND app_id = $2', [
        p.subscriptionId,
        p.appId,
      ])
    ).rows[0];
    const { rows } = await tx.query<Pick<AppSubscriptionRow, 'id' | 'customer_id' | 'status' | 'created_at'>>(
      `INSERT INTO app_subscriptions AS s (id, app_id, customer_id, plan_id, status, cancel_at_period_end, current_period_start, current_period_end, last_event_created)
       VALUES ($1, $2, $3::text, $4::text, coalesce($5::text, 'incomplete'), coalesce($6::boolean, false), $7::timestamptz, $8::timestamptz, $9)
       ON CONFLICT (id) DO UPDATE SET customer_id = coalesce(s.customer_id, $3::text), plan_id = coalesce($4::text, s.plan_id),
         status = coalesce($5::text, s.status), cancel_at_period_end = coalesce($6::boolean, s.cancel_at_period_end),
         current_period_start = coalesce($7::timestamptz, s.current_period_start), current_period_end = coalesce($8::timestamptz, s.current_period_end),
         last_event_created = $9, updated_at = now()
       WHERE s.app_id = $2 AND s.last_event_created <= $9
       RETURNING id, customer_id, status, created_at`,
      [p.subscriptionId, p.appId, p.customerId ?? null, ...statePatchParams(p)],
    );
    const row = rows[0];
    if (!row) return { applied: false, duplicateOf: null, tie: false };
    const tie = isTie(before, p.eventCreated);
    if (!row.customer_id || !LIVE_SUBSCRIPTION_STATUSES.includes(row.status)) return { applied: true, duplicateOf: null, tie };
    const older = await tx.query<{ id: string }>(
      `SELECT id FROM app_subscriptions WHERE app_id = $1 AND customer_id = $2 AND id <> $3 AND status = ANY($4) AND (created_at, id) < ($5, $3)
       ORDER BY created_at, id LIMIT 1`,
      [p.appId, row.customer_id, row.id, LIVE_SUBSCRIPTION_STATUSES, row.created_at],
    );
    return { applied: true, duplicateOf: older.rows[0]?.id ?? null, tie };
  });
}

/** A duplicate subscription was cancelled on Stripe: it stops counting now, not at its webhook. */
export async function endDuplicateAppSubscription(db: Pick<Db, 'query'>, appId: string, subscriptionId: string): Promise<void> {
  await db.query(`UPDATE app_subscriptions SET status = 'canceled', updated_at = now() WHERE app_id = $1 AND id = $2`, [appId, subscriptionId]);
}

/** The customer's current subscription: a live one first, else the newest. */
export async function currentAppSubscription(db: Pick<Db, 'query'>, appId: string, customerId: string): Promise<AppSubscription | undefined> {
  const { rows } = await db.query<AppSubscriptionRow>(
    `SELECT * FROM app_subscriptions WHERE app_id = $1 AND customer_id = $2
     ORDER BY (status = ANY($3)) DESC, updated_at DESC LIMIT 1`,
    [appId, customerId, LIVE_SUBSCRIPTION_STATUSES],
  );
  return rows[0] && toSub(rows[0]);
}

/** Cancel at period end, recorded right away; a later Stripe event with newer state still wins. */
export async function markCancelAtPeriodEnd(db: Pick<Db, 'query'>, appId: string, subscriptionId: string): Promise<void> {
  await db.query('UPDATE app_subscriptions SET cancel_at_period_end = true, updated_at = now() WHERE app_id = $1 AND id = $2', [appId, subscriptionId]);
}

/** The app a stored subscription belongs to, whichever app that is. */
export async function appOfSubscription(db: Pick<Db, 'query'>, subscriptionId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ app_id: string }>('SELECT app_id FROM app_subscriptions WHERE id = $1', [subscriptionId]);
  return rows[0]?.app_id;
}
