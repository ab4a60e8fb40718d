import type Stripe from 'stripe';
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { recordStripeEvent } from '../db/stripe-events';
import { advanceEventCursor, connectedAccounts, getEventCursor } from '../db/stripe-event-cursors';

const StripeObjectId = defineSearchAttributeKey('StripeObjectId', SearchAttributeType.KEYWORD);
const PAGE = 100;

export interface ReconcilePage {
  listed: number;
  fed: number;
  lastId: string | null;
  hasMore: boolean;
  maxCreated: number;
}

/**
 * Lost webhooks are normal: reconciliation pages Stripe's events list of an account from the
 * last `created` it saw and feeds every event through the webhook intake's two steps: record
 * it (the event id is the key, so one that did arrive is not recorded again) and start its
 * workflow `stripe-event:<id>` (refused if it ever ran). A webhook arriving during
 * reconciliation meets the same two guards, so each event is applied once.
 */
export function createStripeReconcileActivities(deps: { db: Db; stripe?: Stripe; temporal?: Client; taskQueue?: string }) {
  const { stripe, rejectedFast } = stripeCalls(deps.stripe);
  return {
    async listReconcileAccounts(): Promise<{ stripeAccount: string | null; appId: string | null }[]> {
      if (!deps.stripe) return [];
      return [{ stripeAccount: null, appId: null }, ...(await connectedAccounts(deps.db)).map((a) => ({ stripeAccount: a.stripeAccount, appId: a.appId }))];
    },

    async readEventCursor(input: { stripeAccount: string | null }): Promise<number> {
      return getEventCursor(deps.db, input.stripeAccount);
    },

    async saveEventCursor(input: { stripeAccount: string | null; lastCreated: number }): Promise<void> {
      await advanceEventCursor(deps.db, input.stripeAccount, input.lastCreated);
    },

    /** One page, newest first (Stripe's order), from `since` (inclusive) down. */
    async reconcileEventsPage(input: {
      stripeAccount: string | null;
      since: number;
      startingAfter: string | null;
      handledTypes: string[];
      workflowType: string;
    }): Promise<ReconcilePage> {
      if (!deps.temporal || !deps.taskQueue) throw new Error('activities need a Temporal client and task queue to start workflows');
      const page = await rejectedFast(() =>
        stripe().events.list(
          { created: { gte: input.since }, limit: PAGE, ...(input.startingAfter && { starting_after: input.startingAfter }) },
          input.stripeAccount ? { stripeAccount: input.stripeAccount } : {},
        ),
      );
      const handled = new Set(input.handledTypes);
      let fed = 0;
      let maxCreated = 0;
      for (const event of page.data) {
        maxCreated = Math.max(maxCreated, event.created);
        const isHandled = handled.has(event.type);
        // Listed under the connected account's header, an event may lack `account`: it is that account's.
        const account = event.account ?? input.stripeAccount;
        const fresh = await recordStripeEvent(deps.db, {
          id: event.id,
          type: event.type,
          account,
          payload: { ...event, ...(account && { account }) },
          outcome: isHandled ? 'pending' : 'ignored',
        });
        if (!isHandled) continue;
        const objectId = (event.data.object as { id?: string }).id;
        try {
          await deps.temporal.workflow.start(input.workflowType, {
            workflowId: `stripe-event:${event.id}`,
            taskQueue: deps.taskQueue,
            args: [{ eventId: event.id }],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            ...(objectId && { typedSearchAttributes: new TypedSearchAttributes([{ key: StripeObjectId, value: objectId }]) }),
          });
          if (fresh) fed += 1;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      const last = page.data[page.data.length - 1];
      return { listed: page.data.length, fed, lastId: last?.id ?? null, hasMore: page.has_more && Boolean(last), maxCreated };
    },
  };
}
