import type Stripe from 'stripe';
import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { createBillingStateActivities } from './billing-state';
import { createMeteringActivities } from './metering';
import { createStripeCustomerActivities } from './stripe-customers';

export interface ActivityDeps { db: Db; store: MeteringStore; stripe?: Stripe }

/** The worker registers this object; workflows get typed stubs of it (types only). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStripeCustomerActivities(deps),
    ...createBillingStateActivities(deps),
    ...createMeteringActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
