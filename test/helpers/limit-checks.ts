/** Hard-limit checks spread over several API processes on one Postgres and ClickHouse. */
import { call, type Reply } from './http';
import { assignPlan, usageEvent } from './factories';
import { ingestOk, newTenant, serviceKey } from './metering';
import { eventually } from './eventually';
import type { TestStack } from './stack';

export const check = async (base: TestStack, url: string, body: Record<string, unknown>): Promise<Reply> =>
  call(url, 'POST', '/v1/usage/check', { token: await serviceKey(base), body: { meter: 'ai_tokens', ...body } });

/** Sends `n` checks of `amount` round-robin over `urls`, `concurrency` at a time; counts the admitted. */
export async function admitted(base: TestStack, urls: string[], accountId: string, n: number, amount: number, concurrency: number): Promise<number> {
  let next = 0;
  let allowed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const reply = await check(base, urls[i % urls.length]!, { accountId, amount });
        expect(reply.status).toBe(200);
        if (reply.body.allowed) allowed++;
      }
    }),
  );
  return allowed;
}

/** A new account on `planId` with `used` units of ai_tokens metered, once every process sees them. */
export async function tenantWithUsed(base: TestStack, urls: string[], planId: string, used: number): Promise<string> {
  const { accountId } = await newTenant(base);
  await assignPlan(base, accountId, planId);
  if (used > 0) await ingestOk(base, [usageEvent(accountId, 'seed', { value: used })]);
  for (const url of urls) await eventually('seen', async () => (await check(base, url, { accountId, amount: 0, reserve: false })).body.used === used);
  return accountId;
}

/** What Postgres holds for the account: reserved (admitted) and still leased units. */
export async function counters(base: TestStack, accountId: string): Promise<{ r: number; l: number }> {
  const { rows } = await base.deps.db.query('SELECT reserved::float8 AS r, leased::float8 AS l FROM limit_counters WHERE account_id = $1', [accountId]);
  return rows[0];
}
