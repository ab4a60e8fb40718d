import { z } from 'zod';
import { METERS } from '../../platform/meters';
import { isValidTimeZone } from '../../metering/timezone';

export const MAX_RANGE_DAYS = 366;
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;

export const usageQuery = z.object({
  startDate: z.iso.date().optional(),
  endDate: z.iso.date().optional(),
  meterType: z.enum(METERS).optional(),
  timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC'),
  appId: z.string().min(1).optional(),
}).superRefine((q, ctx) => {
  if (q.startDate && q.endDate) {
    if (q.endDate < q.startDate) ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' });
    else if (dayNumber(q.endDate) - dayNumber(q.startDate) + 1 > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['endDate'], message: `the range may span at most ${MAX_RANGE_DAYS} days` });
  }
});

export const usageResponse = z.object({
  startDate: z.string(), endDate: z.string(), timezone: z.string(),
  usage: z.array(z.object({ date: z.string(), meter: z.enum(METERS), value: z.number(), average: z.number().optional() })),
});

const meterUsage = z.object({ used: z.number(), limit: z.number().nullable(), mode: z.enum(['hard', 'soft']).nullable(), percent: z.number().nullable(), status: z.enum(['ok', 'warning', 'exceeded']) });
export const billingResponse = z.object({
  plan: z.object({ id: z.string(), name: z.string(), limits: z.record(z.string(), z.object({ limit: z.number(), mode: z.enum(['hard', 'soft']) })) }),
  period: z.object({ start: z.string(), end: z.string() }),
  usage: z.record(z.string(), meterUsage),
  subscription: z.unknown().nullable(),
  alerts: z.array(z.object({ id: z.string(), meter: z.string(), threshold: z.number(), used: z.number(), limit: z.number(), createdAt: z.string() })),
});

export const plansResponse = z.object({
  plans: z.array(z.object({
    id: z.string(), name: z.string(), description: z.string(), amountCents: z.number().int(), currency: z.string(),
    interval: z.enum(['month', 'year']), limits: z.record(z.string(), z.object({ limit: z.number(), mode: z.enum(['hard', 'soft']) })),
    purchasable: z.boolean(),
  })),
});
