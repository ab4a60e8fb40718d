import { randomBytes } from 'node:crypto';
import { chInt, createHttpStore } from '../platform/clickhouse';
import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, openLoop, post, round, spawnApi } from './lib';
import { eventBatches, seedTenants } from './fixtures';
import { z } from 'zod';

const BUDGET = 50; // requests per second per key on the usage routes, set for this run
const QUIET_RPS = 20; // the well-behaved tenant, well within its budget
const NOISY_RPS = 10 * BUDGET;
const SECONDS = Number(process.env.BENCH_RATE_LIMIT_SECONDS ?? 10);
const QUIET_BATCH = 20;
const NOISY_BATCH = 1;

/**
 * Fairness under a noisy neighbour, on one API process: tenant Q ingests within its budget,
 * first alone (its quiet p99), then while tenant N sends 10x its own budget. N must get 429s,
 * Q's p99 must stay within 1.5x of its quiet value, and every event either was acknowledged
 * and is stored once, or was refused.
 */
export async function benchRateLimit(services: TestServices): Promise<void> {
  const api = await spawnApi(services, { env: { RATE_LIMIT_USAGE_PER_KEY: String(BUDGET) } });
  try {
    const {
      accountIds: [quietAccount, noisyAccount],
    } = await seedTenants(api, 2);
    const key = async () =>
      (await post(`${api.url}/admin/service-keys`, api.env.ADMIN_TOKEN!, JSON.stringify({ name: 'tenant', scopes: ['usage:write'] }))).json.key as string;
    const [quietKey, noisyKey] = [await key(), await key()];
    const runId = randomBytes(4).toString('hex');
    const quietBodies = eventBatches([quietAccount!], (QUIET_RPS * SECONDS * 2 + 20) * QUIET_BATCH, QUIET_BATCH, `${runId}q`).map((b) =>
      JSON.stringify({ events: b }),
    );
    const noisyBodies = eventBatches([noisyAccount!], NOISY_RPS * SECONDS * NOISY_BATCH, NOISY_BATCH, `${runId}n`).map((b) => JSON.stringify({ events: b }));
    const accepted = { quiet: 0, noisy: 0 };
    const statuses: Record<number, number> = {};
    const ingest = async (who: 'quiet' | 'noisy', body: string) => {
      const r = await post(`${api.url}/v1/usage/events`, who === 'quiet' ? quietKey : noisyKey, body);
      if (r.status === 200) accepted[who] += r.json.accepted;
      if (who === 'noisy') statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      return r.status;
    };
    for (let i = 0; i < 20; i++) await ingest('quiet', quietBodies.pop()!); // warm up

    const n = QUIET_RPS * SECONDS;
    const alone = await openLoop(QUIET_RPS, n, (i) => ingest('quiet', quietBodies[i]!));
    const [together] = await Promise.all([
      openLoop(QUIET_RPS, n, (i) => ingest('quiet', quietBodies[n + i]!)),
      openLoop(NOISY_RPS, noisyBodies.length, (i) => ingest('noisy', noisyBodies[i]!)),
    ]);

    const store = createHttpStore(services.clickhouseUrl, api.env.CLICKHOUSE_DATABASE!);
    const stored = async (accountId: string) =>
      (
        await store.query(
          'SELECT count() AS n FROM {db:Identifier}.usage_events WHERE account_id = {a:String}',
          { db: api.env.CLICKHOUSE_DATABASE!, a: accountId },
          z.object({ n: chInt }),
        )
      )[0]!.n;
    const quiet = { alone: latencySummary(alone.samples), together: latencySummary(together.samples) };
    emit({
      bench: 'rate-limit-fairness',
      backend: 'clickhouse-18.16',
      budget_per_key_rps: BUDGET,
      seconds: SECONDS,
      quiet_rps: QUIET_RPS,
      quiet_batch: QUIET_BATCH,
      quiet_errors: alone.errors + together.errors,
      quiet_p50_alone_ms: quiet.alone.p50_ms,
      quiet_p99_alone_ms: quiet.alone.p99_ms,
      quiet_p50_with_noisy_ms: quiet.together.p50_ms,
      quiet_p99_with_noisy_ms: quiet.together.p99_ms,
      p99_ratio: round(quiet.together.p99_ms / quiet.alone.p99_ms),
      target_p99_ratio: 1.5,
      noisy_sent_rps: NOISY_RPS,
      noisy_batch: NOISY_BATCH,
      noisy_statuses: statuses,
      accepted_events: accepted,
      stored_events: { quiet: await stored(quietAccount!), noisy: await stored(noisyAccount!) },
    });
    await store.close();
  } finally {
    await api.stop();
  }
}
