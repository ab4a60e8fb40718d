import { z } from 'zod';
import { strictBody } from '../openapi/route';

export const spendCapBody = strictBody({
  maxCents: z.number().int().nonnegative().max(1e12).nullable().describe('maximum overage spend per billing period, in cents; null removes the cap'),
});
export const spendCapSchema = z.object({ maxCents: z.number() }).meta({ id: 'SpendCap' });
export const spendCapResponse = z
  .object({ spendCap: spendCapSchema.nullable().describe('null: no cap') })
  .meta({ examples: [{ spendCap: { maxCents: 5000 } }] });

const overageLine = z
  .object({
    meter: z.string(),
    included: z.string().describe('included amount of the plan'),
    used: z.number().describe('period usage recomputed from the de-duplicated events'),
    quantity: z.string().describe('whole units beyond the included amount'),
    blocks: z.string(),
    blockSize: z.string(),
    unitAmountCents: z.string(),
    amountCents: z.number().int(),
  })
  .meta({ id: 'OverageLine' });

/** Per priced meter in GET /dashboard/billing: what the events say is owed vs what Stripe was told. */
export const overageStatus = overageLine
  .extend({
    reported: z.string().describe('units Stripe acknowledged as meter events this period'),
    pending: z.string().describe('units written to the ledger, not yet acknowledged'),
    lastError: z.string().nullable().describe("Stripe's refusal of the last report, if it was refused"),
  })
  .meta({ id: 'OverageStatus' });

/** An overage line of the invoice preview: our recomputation next to Stripe's line for the meter's metered Price. */
const previewLine = overageLine
  .extend({
    reported: z.string().describe('units Stripe acknowledged as meter events this period (the ledger)'),
    stripe: z
      .object({
        quantity: z.string().describe("quantity of Stripe's preview line: the usage Stripe aggregated from our meter events"),
        amountCents: z.number().int(),
      })
      .nullable()
      .describe("Stripe's line for the meter's metered Price; null when the preview has none"),
    matchesStripe: z
      .boolean()
      .describe("whether Stripe's quantity equals `quantity`; when not and `reported` equals Stripe's, usage is not reported yet (next report within minutes)"),
  })
  .meta({ id: 'InvoicePreviewOverageLine' });

export const invoicePreviewResponse = z.object({
  currency: z.string(),
  period: z.object({ start: z.string(), end: z.string() }),
  base: z.object({
    planId: z.string(),
    amountCents: z.number().int().nullable().describe("Stripe's line for the plan's Price; null when the preview has none"),
  }),
  overage: z.array(previewLine),
  quantitiesMatch: z.boolean().describe("every overage line's Stripe quantity equals the recomputed one"),
  totalCents: z.number().int().describe("Stripe's total of the upcoming invoice"),
  recomputedTotalCents: z.number().int().describe("the plan's amount plus the recomputed overage lines, to compare with Stripe's total"),
  stripe: z
    .object({
      total: z.number().int(),
      amountDue: z.number().int(),
      lines: z.array(z.object({ description: z.string().nullable(), amount: z.number(), quantity: z.number().nullable(), priceId: z.string().nullable() })),
    })
    .describe("Stripe's own preview, as returned"),
});
