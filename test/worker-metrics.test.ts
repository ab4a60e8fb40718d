import type { ChildProcess } from 'node:child_process';
import { WorkflowFailedError } from '@temporalio/client';
import { freePort } from '../embedded/ports';
import { appCatalogWorkflow } from '../workflows/app-catalog';
import { spawnService } from './helpers/api-process';
import { eventually } from './helpers/eventually';
import { killGroup } from './helpers/spawn-until-ready';
import { startTestStack, type TestStack } from './helpers/stack';

/** The sum of a counter's series whose labels include every `labels` pair (0 when absent). */
async function counter(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return (await res.text())
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('worker metrics (WORKER_METRICS_PORT)', () => {
  let base: TestStack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    base = await startTestStack({ api: false, stripe: false });
  });
  afterAll(async () => {
    children.forEach((c) => killGroup(c));
    await base?.close();
  });

  it('a workflow that fails is counted in the worker /metrics, by workflow type', async () => {
    const port = await freePort();
    await spawnService('worker', base, children, { WORKER_METRICS_PORT: String(port) });
    const metrics = `http://127.0.0.1:${port}/metrics`;
    const labels = { workflow_type: 'appCatalogWorkflow', task_queue: base.config.TEMPORAL_TASK_QUEUE };
    const before = await counter(metrics, 'temporal_workflow_failed_total', labels);

    // A change of a plan of an app that does not exist fails for good (NotFound / NotOnboarded).
    const run = base.deps.temporal.workflow.start(appCatalogWorkflow, {
      taskQueue: base.config.TEMPORAL_TASK_QUEUE,
      workflowId: `metrics-fails-${port}`,
      args: [{ op: 'updatePlan', appId: 'app_missing', id: 'plan_missing', fields: {} }],
    });
    await expect((await run).result()).rejects.toBeInstanceOf(WorkflowFailedError);

    const after = await eventually('the failure in the worker metrics', async () => {
      const n = await counter(metrics, 'temporal_workflow_failed_total', labels);
      return n > before && n;
    });
    expect(after).toBe(before + 1);
  }, 120_000);
});
