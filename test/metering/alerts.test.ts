import { randomUUID } from 'node:crypto';
import type { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { assignPlan, setPlan, usageEvent } from '../helpers/factories';
import { billing, ingestOk, newTenant, type Tenant } from '../helpers/metering';

/** usageAlertsWorkflow on a real worker: 80% / 100% alerts once per period, and period rollover. */
describe.each(BACKENDS)('usage alerts and billing periods (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend, worker: true });
    await setPlan(stack, 'alerting', { ai_tokens: { limit: 100, mode: 'soft' }, bandwidth_bytes: { limit: 11.5, mode: 'soft' } });
  });
  afterAll(() => stack?.close());

  const runWorkflow = (accountIds?: string[]) =>
    stack.deps.temporal.workflow.execute<typeof usageAlertsWorkflow>('usageAlertsWorkflow', {
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      workflowId: `usage-alerts-test-${randomUUID()}`,
      args: [{ accountIds }],
    });
  const tenant = async (): Promise<Tenant> => {
    const t = await newTenant(stack);
    await assignPlan(stack, t.accountId, 'alerting');
    return t;
  };
  const use = (t: Tenant, id: string, value: number, meter = 'ai_tokens') => ingestOk(stack, [usageEvent(t.accountId, id, { value, meter })]);
  const alertsOf = async (t: Tenant) =>
    (await billing(stack, t.apiKey)).alerts.map((a: any) => ({ meter: a.meter, threshold: a.threshold, used: a.used, limit: a.limit }));

  it('85% raises one 80% alert (status warning), a second run none; 100% raises the 100% alert (exceeded)', async () => {
    const t = await tenant();
    await use(t, 'a', 85);
    expect((await runWorkflow([t.accountId])).raised).toBe(1);
    let b = await billing(stack, t.apiKey);
    expect(b.usage.ai_tokens).toMatchObject({ used: 85, limit: 100, percent: 85, status: 'warning' });
    expect(await alertsOf(t)).toEqual([{ meter: 'ai_tokens', threshold: 80, used: 85, limit: 100 }]);

    expect((await runWorkflow([t.accountId])).raised).toBe(0);
    expect(await alertsOf(t)).toHaveLength(1);

    await use(t, 'b', 15);
    expect((await runWorkflow([t.accountId])).raised).toBe(1);
    b = await billing(stack, t.apiKey);
    expect(b.usage.ai_tokens).toMatchObject({ used: 100, percent: 100, status: 'exceeded' });
    expect(await alertsOf(t)).toEqual([
      { meter: 'ai_tokens', threshold: 80, used: 85, limit: 100 },
      { meter: 'ai_tokens', threshold: 100, used: 100, limit: 100 },
    ]);
  });

  it('two runs at once raise each alert once', async () => {
    const t = await tenant();
    await use(t, 'a', 120);
    const runs = await Promise.all([runWorkflow([t.accountId]), runWorkflow([t.accountId]), runWorkflow()]);
    expect(runs.reduce((n, r) => n + r.raised, 0)).toBe(2);
    expect((await alertsOf(t)).map((a: any) => a.threshold)).toEqual([80, 100]);
    expect((await billing(stack, t.apiKey)).usage.ai_tokens).toMatchObject({ used: 120, percent: 120, status: 'exceeded' });
  });

  it('thresholds are exact: 99.996 of 100 is a warning, 9.2 of 11.5 is exactly 80%', async () => {
    const t = await tenant();
    await use(t, 'a', 99.996);
    await use(t, 'b', 9.2, 'bandwidth_bytes');
    await runWorkflow([t.accountId]);
    const b = await billing(stack, t.apiKey);
    expect(b.usage.ai_tokens).toMatchObject({ used: 99.996, percent: 99.99, status: 'warning' });
    expect(b.usage.bandwidth_bytes).toMatchObject({ used: 9.2, limit: 11.5, percent: 80, status: 'warning' });
    expect(await alertsOf(t)).toEqual(
      expect.arrayContaining([
        { meter: 'ai_tokens', threshold: 80, used: 99.996, limit: 100 },
        { meter: 'bandwidth_bytes', threshold: 80, used: 9.2, limit: 11.5 },
      ]),
    );
    expect(await alertsOf(t)).toHaveLength(2);
  });

  it('an ended billing period rolls forward, and alerts start over in the new period', async () => {
    const t = await tenant();
    await use(t, 'a', 90);
    await runWorkflow([t.accountId]);
    expect(await alertsOf(t)).toHaveLength(1);
    // The period ended 10 days ago (it began 40 days ago); today's usage belongs to the next one.
    const oldEnd = new Date(Math.floor((Date.now() - 10 * 86_400_000) / 900_000) * 900_000);
    await stack.deps.db.query(`UPDATE accounts SET period_start = $2::timestamptz - interval '30 days', period_end = $2 WHERE id = $1`, [t.accountId, oldEnd]);
    expect((await billing(stack, t.apiKey)).alerts).toEqual([]); // the old period's alert is not this period's
    const result = await runWorkflow([t.accountId]);
    expect(result.rolledOver).toBeGreaterThanOrEqual(1);
    const b = await billing(stack, t.apiKey);
    // One calendar month later, clamped to the month's last day (Jan 31 -> Feb 28).
    const end = new Date(Date.UTC(oldEnd.getUTCFullYear(), oldEnd.getUTCMonth() + 1, 1, oldEnd.getUTCHours(), oldEnd.getUTCMinutes()));
    end.setUTCDate(Math.min(oldEnd.getUTCDate(), new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate()));
    expect(b.period).toEqual({ start: oldEnd.toISOString(), end: end.toISOString() });
    expect(Date.parse(b.period.start)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(b.period.end)).toBeGreaterThan(Date.now());
    expect(b.usage.ai_tokens).toMatchObject({ used: 90, status: 'warning' });
    expect(await alertsOf(t)).toEqual([{ meter: 'ai_tokens', threshold: 80, used: 90, limit: 100 }]);
  });
});
