// The one workflowsPath the worker bundles. Function names are workflow types: never rename one that has run.
export { accountProvisioningWorkflow } from './account-provisioning';
export { usageAlertsWorkflow } from './usage-alerts';
