import type { Context } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../platform/config';
import { AppError } from '../../platform/errors';
import type { Principal } from './principal';

/** Usage routes (ingestion, limit checks) have their own, higher budget than the others. */
export type Budget = 'usage' | 'api';

type Limits = Pick<
  Config,
  'RATE_LIMIT_USAGE_PER_KEY' | 'RATE_LIMIT_USAGE_PER_ACCOUNT' | 'RATE_LIMIT_API_PER_KEY' | 'RATE_LIMIT_API_PER_ACCOUNT' | 'RATE_LIMIT_WINDOW_SECONDS'
>;

// Fixed windows (one second by default) kept in this process's memory: the check costs a Map lookup and no
// network round trip, which the limit-check hot path (2 ms p99) cannot afford. With N API
// processes behind a balancer a tenant may get up to N times the budget (see ARCHITECTURE.md).
const limiter = (points: number, duration: number, keyPrefix: string) => (points > 0 ? new RateLimiterMemory({ points, duration, keyPrefix }) : undefined);
const perWindow = (seconds: number) => (seconds === 1 ? 'per second' : `per ${seconds} seconds`);

async function consume(ctx: Context, rl: RateLimiterMemory, id: string, per: string): Promise<void> {
  try {
    await rl.consume(id);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    ctx.set('Retry-After', String(seconds));
    throw new AppError('rate_limited', `More than ${rl.points} requests ${perWindow(rl.duration)} for this ${per}; retry after ${seconds} s`);
  }
}

/** The key a principal is counted under (admins are the operator and are not limited). */
const keyOf = (p: Principal): string | undefined =>
  p.kind === 'account' || p.kind === 'app' || p.kind === 'service' ? p.keyId : p.kind === 'end_user' ? `${p.appId}:${p.customerId}` : undefined;

export function createRateLimits(config: Limits) {
  const w = config.RATE_LIMIT_WINDOW_SECONDS;
  const perKey = { usage: limiter(config.RATE_LIMIT_USAGE_PER_KEY, w, 'uk'), api: limiter(config.RATE_LIMIT_API_PER_KEY, w, 'ak') };
  const perAccount = { usage: limiter(config.RATE_LIMIT_USAGE_PER_ACCOUNT, w, 'ua'), api: limiter(config.RATE_LIMIT_API_PER_ACCOUNT, w, 'aa') };
  return {
    /** Undefined when nothing is to be counted, so the caller can skip an await. */
    byPrincipal(ctx: Context, budget: Budget, p: Principal): Promise<void> | undefined {
      const key = keyOf(p);
      const k = perKey[budget];
      const a = perAccount[budget];
      const accountId = 'accountId' in p ? p.accountId : undefined;
      if (key && k && accountId && a) return consume(ctx, k, key, 'key').then(() => consume(ctx, a, accountId, 'account'));
      if (key && k) return consume(ctx, k, key, 'key');
      if (accountId && a) return consume(ctx, a, accountId, 'account');
      return undefined;
    },
    /** For routes whose caller (a service key) acts for the account named in the body. */
    byAccount(ctx: Context, budget: Budget, accountId: string): Promise<void> | undefined {
      const a = perAccount[budget];
      return a && consume(ctx, a, accountId, 'account');
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
