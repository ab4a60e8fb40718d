import type Stripe from 'stripe';
import type { Client } from '@temporalio/client';
import type { MeteringStore } from '../platform/clickhouse';
import type { Db } from '../platform/pg';
import { createAccountStateActivities } from './account-state';
import { createMeteringActivities } from './metering';
import { createStripeCustomerActivities } from './stripe-customers';
import { createPlatformBillingStateActivities } from './platform-billing-state';
import { createPlatformBillingStripeActivities } from './platform-billing-stripe';
import { createWorkflowSignalActivities } from './workflow-signals';
import { createConnectAccountActivities } from './connect-accounts';
import { createAppCatalogActivities } from './app-catalog';
import { createAppCheckoutActivities } from './app-checkout';
import { createConnectStateActivities } from './connect-state';
import { createUsageReportingActivities } from './usage-reporting';
import { createCheckoutSlotActivities } from './checkout-slots';
import { createDuplicateSubscriptionActivities } from './duplicate-subscriptions';
import { createSubscriptionRereadActivities } from './subscription-reread';
import { createStripeReconcileActivities } from './stripe-reconcile';

/** `temporal` and `taskQueue` let activities signal-with-start workflows (platform billing). */
export interface ActivityDeps {
  db: Db;
  store: MeteringStore;
  stripe?: Stripe;
  temporal?: Client;
  taskQueue?: string;
  platformFeeBps?: number;
}

/** The worker registers this object; workflows get typed stubs of it (types only). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStripeCustomerActivities(deps),
    ...createAccountStateActivities(deps),
    ...createMeteringActivities(deps),
    ...createPlatformBillingStateActivities(deps),
    ...createPlatformBillingStripeActivities(deps),
    ...createWorkflowSignalActivities(deps),
    ...createConnectAccountActivities(deps),
    ...createAppCatalogActivities(deps),
    ...createAppCheckoutActivities(deps),
    ...createConnectStateActivities(deps),
    ...createUsageReportingActivities(deps),
    ...createCheckoutSlotActivities(deps),
    ...createDuplicateSubscriptionActivities(deps),
    ...createSubscriptionRereadActivities(deps),
    ...createStripeReconcileActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { PlatformBillingEvent } from '../platform/stripe-events/platform';
export type { ConnectEvent } from '../platform/stripe-events/connect';
export type { RoutedConnectEvent } from './connect-state';
export type { SignalWithStart } from './workflow-signals';
export type { ConnectStatus } from './connect-accounts';
export type { PlanFields, ProductFields } from './app-catalog';
export type { OverageReport, StripeInvoiceSummary } from './usage-reporting';
export type { ReconcilePage } from './stripe-reconcile';
