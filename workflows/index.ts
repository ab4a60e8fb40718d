// The one workflowsPath the worker bundles. Function names are workflow types: never rename one that has run.
export { accountProvisioningWorkflow } from './account-provisioning';
export { usageAlertsWorkflow } from './usage-alerts';
export { platformCheckoutWorkflow } from './platform-checkout';
export { platformPortalWorkflow } from './platform-portal';
export { platformSubscriptionWorkflow } from './platform-subscription';
export { stripeEventWorkflow } from './platform-event';
export { connectOnboardingWorkflow } from './connect-onboarding';
export { connectStatusWorkflow } from './connect-status';
export { appCatalogWorkflow } from './app-catalog';
export { appCheckoutWorkflow, appCancelWorkflow } from './app-checkout';
export { appSubscriptionWorkflow } from './app-subscription';
export { connectEventWorkflow } from './connect-event';
export { usageReportingWorkflow } from './usage-reporting';
export { invoicePreviewWorkflow } from './invoice-preview';
export { stripeReconcileWorkflow, stripeAccountReconcileWorkflow } from './stripe-reconcile';
