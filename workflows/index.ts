// The one workflowsPath the worker bundles. Function names are workflow types: never rename one that has run.
export { accountProvisioningWorkflow } from './account-provisioning';
export { usageAlertsWorkflow } from './usage-alerts';
export { platformCheckoutWorkflow } from './platform-checkout';
export { platformPortalWorkflow } from './platform-portal';
export { platformSubscriptionWorkflow } from './platform-subscription';
export { stripeEventWorkflow } from './stripe-event';
