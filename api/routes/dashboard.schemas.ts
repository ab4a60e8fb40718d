import { z } from 'zod';
import { METERS } from '../../platform/meters';
import { addDays, daysBetween, isValidTimeZone, localDate } from '../../metering/timezone';
import { strictBody } from '../openapi/route';
import { DASHBOARD_TOKEN_MAX_SECONDS } from '../dashboard-tokens';
import { overageStatus, spendCapSchema } from './overage.schemas';

export const MAX_RANGE_DAYS = 366;

/**
 * The range is checked once, after its defaults (the last 30 local days; one day when only
 * endDate is given; up to today when only startDate is): `?startDate=1000-01-01` alone must not
 * build 376k days. A range that is too long is reported on the date the client chose.
 */
export const usageQuery = z
  .object({
    startDate: z.iso.date().optional(),
    endDate: z.iso.date().optional(),
    meterType: z.enum(METERS).optional(),
    timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC'),
    appId: z.string().min(1).optional(),
  })
  .transform((q, ctx) => {
    const endDate = q.endDate ?? localDate(Date.now(), q.timezone);
    const startDate = q.startDate ?? (q.endDate ? q.endDate : addDays(endDate, -29));
    if (endDate < startDate) {
      ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' });
    } else if (daysBetween(startDate, endDate) + 1 > MAX_RANGE_DAYS) {
      const path = [q.startDate && !q.endDate ? 'startDate' : 'endDate'];
      ctx.addIssue({ code: 'custom', path, message: `the range may span at most ${MAX_RANGE_DAYS} days` });
    }
    return { ...q, startDate, endDate };
  });

const limitMode = z.enum(['hard', 'soft']);
const planLimits = z
  .record(z.string(), z.object({ limit: z.number(), mode: limitMode }))
  .describe('Per meter: the limit per billing period and how it is enforced');

export const usageResponse = z
  .object({
    startDate: z.string(),
    endDate: z.string(),
    timezone: z.string().describe('IANA time zone the days are cut in'),
    usage: z
      .array(
        z
          .object({
            date: z.string().describe('A local day (YYYY-MM-DD); every day of the range is present, zero-filled'),
            meter: z.enum(METERS),
            value: z.number().describe("Counters: the day's total. storage_bytes: the day's peak reading"),
            average: z.number().optional().describe("storage_bytes only: the day's time-weighted average"),
          })
          .meta({ id: 'DailyUsage' }),
      )
      .describe('Sorted by date, then meter'),
  })
  .meta({
    id: 'UsageHistory',
    examples: [
      {
        startDate: '2026-11-01',
        endDate: '2026-11-01',
        timezone: 'Europe/Paris',
        usage: [
          { date: '2026-11-01', meter: 'ai_tokens', value: 18200 },
          { date: '2026-11-01', meter: 'bandwidth_bytes', value: 5368709120 },
          { date: '2026-11-01', meter: 'lambda_invocations', value: 927 },
          { date: '2026-11-01', meter: 'storage_bytes', value: 3221225472, average: 2147483648 },
        ],
      },
    ],
  });

const meterUsage = z
  .object({
    used: z.number().describe('This period so far (storage_bytes: the latest reading)'),
    limit: z.number().nullable(),
    mode: limitMode.nullable(),
    percent: z.number().nullable().describe('used / limit in percent, two decimals; null without a limit'),
    status: z.enum(['ok', 'warning', 'exceeded']).describe('warning from 80%, exceeded from 100%'),
  })
  .meta({ id: 'MeterUsage' });

export const platformSubscriptionSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    planId: z.string().nullable(),
    status: z.string().describe("Stripe's subscription status"),
    cancelAtPeriodEnd: z.boolean(),
    currentPeriodStart: z.string().nullable(),
    currentPeriodEnd: z.string().nullable(),
    graceUntil: z.string().nullable().describe('After a failed payment: when the account falls back to the free plan'),
    lastEventCreated: z.number(),
    updatedAt: z.string(),
  })
  .meta({ id: 'PlatformSubscription' });

export const alertSchema = z
  .object({
    id: z.string(),
    meter: z.enum(METERS),
    threshold: z.number().describe('80 or 100 (percent of the limit)'),
    used: z.number(),
    limit: z.number(),
    createdAt: z.string(),
  })
  .meta({ id: 'UsageAlert' });

export const billingResponse = z
  .object({
    plan: z.object({ id: z.string(), name: z.string(), limits: planLimits }),
    period: z.object({ start: z.string(), end: z.string() }),
    usage: z.record(z.enum(METERS), meterUsage),
    subscription: platformSubscriptionSchema.nullable().describe('null on the free plan'),
    alerts: z.array(alertSchema).describe('Alerts raised in this period'),
    overage: z.record(z.string(), overageStatus).describe('per meter with an overage price: metered vs reported overage this period'),
    spendCap: spendCapSchema.nullable().describe('null: no cap on overage spend'),
  })
  .meta({
    id: 'BillingOverview',
    examples: [
      {
        plan: { id: 'starter', name: 'Starter', limits: { ai_tokens: { limit: 10000, mode: 'hard' } } },
        period: { start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' },
        usage: {
          ai_tokens: { used: 2500, limit: 10000, mode: 'hard', percent: 25, status: 'ok' },
          bandwidth_bytes: { used: 0, limit: null, mode: null, percent: null, status: 'ok' },
          lambda_invocations: { used: 850, limit: 1000, mode: 'soft', percent: 85, status: 'warning' },
          storage_bytes: { used: 3221225472, limit: null, mode: null, percent: null, status: 'ok' },
        },
        subscription: null,
        alerts: [{ id: 'alrt_5k2', meter: 'lambda_invocations', threshold: 80, used: 850, limit: 1000, createdAt: '2026-11-20T08:15:00.000Z' }],
        overage: {},
        spendCap: null,
      },
    ],
  });

export const plansResponse = z
  .object({
    plans: z.array(
      z
        .object({
          id: z.string(),
          name: z.string(),
          description: z.string(),
          amountCents: z.number().int(),
          currency: z.string(),
          interval: z.enum(['month', 'year']),
          limits: planLimits,
          purchasable: z.boolean().describe('Sold through Stripe Checkout (paid, with a Stripe price)'),
        })
        .meta({ id: 'PlanOffer' }),
    ),
  })
  .meta({
    examples: [{ plans: [{ id: 'pro', name: 'Pro', description: '', amountCents: 2500, currency: 'usd', interval: 'month', limits: {}, purchasable: true }] }],
  });

export const tokenBody = strictBody({
  ttlSeconds: z.number().int().min(60).max(DASHBOARD_TOKEN_MAX_SECONDS).default(900).describe('Lifetime in seconds (default 15 minutes, at most 24 hours)'),
}).meta({ examples: [{ ttlSeconds: 900 }] });
export const tokenResponse = z
  .object({
    token: z.string().describe('Bearer token for GET /dashboard/*; open the page as /app#token=<token>'),
    expiresAt: z.string(),
  })
  .meta({ id: 'DashboardToken', examples: [{ token: 'tb_dash_eyJhbGciOiJIUzI1NiJ9…', expiresAt: '2026-11-26T10:15:00.000Z' }] });
