import type { Db } from '../platform/pg';
import { LIVE_SUBSCRIPTION_STATUSES } from './subscription-statuses';
import { isTie, statePatchParams, type SubscriptionStatePatch } from './subscription-state-patch';
import { inTransaction } from '../platform/pg';
import { defaultPlanId } from './plans';

export interface PlatformSubscription {
  id: string;
  accountId: string;
  planId: string | null;
  status: string;
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  graceUntil: string | null;
  lastEventCreated: number;
  updatedAt: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
/** A row of platform_subscriptions as pg returns it (bigint as a string, timestamptz as a Date). */
interface PlatformSubscriptionRow {
  id: string;
  account_id: string;
  plan_id: string | null;
  status: string;
  cancel_at_period_end: boolean;
  current_period_start: Date | null;
  current_period_end: Date | null;
  grace_until: Date | null;
  last_event_created: string;
  created_at: Date;
  updated_at: Date;
}

const toSubscription = (r: PlatformSubscriptionRow): PlatformSubscription => ({
  id: r.id,
  accountId: r.account_id,
  planId: r.plan_id,
  status: r.status,
  cancelAtPeriodEnd: r.cancel_at_period_end,
  currentPeriodStart: iso(r.current_period_start),
  currentPeriodEnd: iso(r.current_period_end),
  graceUntil: iso(r.grace_until),
  lastEventCreated: Number(r.last_event_created),
  updatedAt: r.updated_at.toISOString(),
});

export interface SubscriptionPatch extends SubscriptionStatePatch {
  subscriptionId: string;
  accountId: string;
}

/**
 * Applies an event's state when it is not older than the newest applied one (fields the event
 * does not carry keep their value), then re-derives the account's plan. `applied: false` means
 * the event was stale: newer state is already stored. `tie`: applied over state from an event
 * of the same second, so arrival order decided; the caller re-reads Stripe to settle it.
 */
export async function applySubscriptionPatch(
  db: Db,
  p: SubscriptionPatch,
): Promise<{ applied: boolean; subscription: PlatformSubscription; duplicateOf: string | null; tie: boolean }> {
  return inTransaction(db, async (tx) => {
    // Two subscriptions of one account turning live at once take turns, so exactly the later
    // one sees the other (duplicateOf).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`platform-subscriptions:${p.accountId}`]);
    const before = (
      await tx.query<Pick<PlatformSubscriptionRow, 'last_event_created'>>('SELECT last_event_created FROM platform_subscriptions WHERE id = $1', [
        p.subscriptionId,
      ])
    ).rows[0];
    const { rows } = await tx.query<PlatformSubscriptionRow>(
      `INSERT INTO platform_subscriptions AS ps (id, account_id, plan_id, status, cancel_at_period_end, current_period_start, current_period_end, last_event_created)
       VALUES ($1, $2, $3::text, coalesce($4::text, 'incomplete'), coalesce($5::boolean, false), $6::timestamptz, $7::timestamptz, $8)
       ON CONFLICT (id) DO UPDATE SET plan_id = coalesce($3::text, ps.plan_id), status = coalesce($4::text, ps.status),
         cancel_at_period_end = coalesce($5::boolean, ps.cancel_at_period_end),
         current_period_start = coalesce($6::timestamptz, ps.current_period_start), current_period_end = coalesce($7::timestamptz, ps.current_period_end),
         last_event_created = $8, updated_at = now()
       WHERE ps.last_event_created <= $8
       RETURNING *`,
      [p.subscriptionId, p.accountId, ...statePatchParams(p)],
    );
    if (rows[0]) await syncAccountPlan(tx, p.accountId);
    const current = rows[0] ?? (await tx.query<PlatformSubscriptionRow>('SELECT * FROM platform_subscriptions WHERE id = $1', [p.subscriptionId])).rows[0]!;
    const duplicateOf = rows[0] && LIVE_SUBSCRIPTION_STATUSES.includes(current.status) ? await olderLiveSubscription(tx, current) : null;
    const tie = Boolean(rows[0]) && isTie(before, p.eventCreated);
    return { applied: Boolean(rows[0]), subscription: toSubscription(current), duplicateOf, tie };
  });
}

/**
 * One account, one live subscription: a second one (two checkouts paid) is a duplicate of the
 * older, which stays. Older = first seen, then id, so both sides agree which one goes.
 */
async function olderLiveSubscription(tx: Pick<Db, 'query'>, sub: Pick<PlatformSubscriptionRow, 'id' | 'account_id' | 'created_at'>): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM platform_subscriptions WHERE account_id = $1 AND id <> $2 AND status = ANY($3) AND (created_at, id) < ($4, $2)
     ORDER BY created_at, id LIMIT 1`,
    [sub.account_id, sub.id, LIVE_SUBSCRIPTION_STATUSES, sub.created_at],
  );
  return rows[0]?.id ?? null;
}

/** A duplicate subscription was cancelled on Stripe: it stops counting now, not at its webhook. */
export async function endDuplicateSubscription(db: Db, subscriptionId: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ account_id: string }>(
      `UPDATE platform_subscriptions SET status = 'canceled', grace_until = NULL, updated_at = now() WHERE id = $1 RETURNING account_id`,
      [subscriptionId],
    );
    if (rows[0]) await syncAccountPlan(tx, rows[0].account_id);
  });
}

/**
 * The account's plan follows its entitled subscription (newest first); with none, the default
 * (free) plan. Derived rather than patched, so a late event of an old subscription cannot
 * downgrade an account that moved to a new one.
 */
export async function syncAccountPlan(tx: Pick<Db, 'query'>, accountId: string): Promise<string> {
  const { rows } = await tx.query<{ plan_id: string }>(
    `SELECT plan_id FROM platform_subscriptions
     WHERE account_id = $1 AND status = ANY($2) AND plan_id IS NOT NULL ORDER BY updated_at DESC LIMIT 1`,
    [accountId, LIVE_SUBSCRIPTION_STATUSES],
  );
  const planId = rows[0]?.plan_id ?? (await defaultPlanId(tx));
  await tx.query('UPDATE accounts SET plan_id = $2 WHERE id = $1 AND plan_id <> $2', [accountId, planId]);
  return planId;
}

/** Starts (a date) or ends (null) the grace period of a failed payment. */
export async function setGrace(db: Db, subscriptionId: string, graceUntil: string | null): Promise<void> {
  await db.query('UPDATE platform_subscriptions SET grace_until = $2, updated_at = now() WHERE id = $1', [subscriptionId, graceUntil]);
}

/** The grace period ran out unpaid: the subscription stops entitling, the account falls back. */
export async function endForNonPayment(db: Db, subscriptionId: string): Promise<PlatformSubscription | undefined> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<PlatformSubscriptionRow>(
      `UPDATE platform_subscriptions SET status = 'unpaid', grace_until = NULL, updated_at = now() WHERE id = $1 RETURNING *`,
      [subscriptionId],
    );
    if (rows[0]) await syncAccountPlan(tx, rows[0].account_id);
    return rows[0] && toSubscription(rows[0]);
  });
}

/** The subscription GET /dashboard/billing shows: the newest one of the account. */
export async function currentSubscription(db: Pick<Db, 'query'>, accountId: string): Promise<PlatformSubscription | null> {
  const { rows } = await db.query<PlatformSubscriptionRow>('SELECT * FROM platform_subscriptions WHERE account_id = $1 ORDER BY updated_at DESC LIMIT 1', [
    accountId,
  ]);
  return rows[0] ? toSubscription(rows[0]) : null;
}

/** The account's subscription that still entitles it to a paid plan (newest first): a plan change goes there. */
export async function entitledSubscription(
  db: Pick<Db, 'query'>,
  accountId: string,
): Promise<{ subscriptionId: string; planId: string | null; lastEventCreated: number } | null> {
  const { rows } = await db.query<Pick<PlatformSubscriptionRow, 'id' | 'plan_id' | 'last_event_created'>>(
    `SELECT id, plan_id, last_event_created FROM platform_subscriptions WHERE account_id = $1 AND status = ANY($2)
     ORDER BY updated_at DESC LIMIT 1`,
    [accountId, LIVE_SUBSCRIPTION_STATUSES],
  );
  const row = rows[0];
  return row ? { subscriptionId: row.id, planId: row.plan_id, lastEventCreated: Number(row.last_event_created) } : null;
}

/** A paid invoice's period, when it is later than the stored one (a late or replayed invoice changes nothing). */
export async function renewSubscriptionPeriod(db: Pick<Db, 'query'>, input: { subscriptionId: string; periodStart: string; periodEnd: string }): Promise<void> {
  await db.query(
    `UPDATE platform_subscriptions SET current_period_start = $2, current_period_end = $3, updated_at = now()
     WHERE id = $1 AND (current_period_end IS NULL OR (current_period_start, current_period_end) < ($2, $3))`,
    [input.subscriptionId, input.periodStart, input.periodEnd],
  );
}
