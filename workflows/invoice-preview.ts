import { proxyActivities } from '@temporalio/workflow';
import type { Activities, StripeInvoiceSummary } from '../activities';

const { previewUpcomingInvoice } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/** Stripe's upcoming invoice of a customer, for GET /dashboard/billing/invoice-preview (the API never calls Stripe). */
export async function invoicePreviewWorkflow(input: { customerId: string; subscriptionId?: string }): Promise<StripeInvoiceSummary> {
  return previewUpcomingInvoice(input);
}
