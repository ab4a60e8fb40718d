import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { envOf } from '../../platform/config';
import { scheduleIds } from '../../bin/schedules';
import { startTestStack, type TestStack } from '../helpers/stack';
import { killGroup, spawnUntilReady } from '../helpers/spawn-until-ready';
import { eventually } from '../helpers/eventually';

// A namespace of its own: Schedule ids are fixed per namespace, and other test files start
// production workers in the shared one.
const namespace = `schedules_${randomBytes(4).toString('hex')}`;
let stack: TestStack;
let client: Client;
const children: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ worker: false, api: false });
  const { connection } = stack.deps.temporal;
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  client = new Client({ connection, namespace });
  await eventually('namespace usable', async () => {
    await listed();
    return true;
  });
}, 60_000);
afterAll(async () => {
  children.forEach((child) => killGroup(child));
  for (const id of scheduleIds(stack?.config ?? {}))
    await client?.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  await stack?.close();
});

const startWorker = () =>
  spawnUntilReady('npx', ['tsx', 'bin/worker.ts'], {
    env: { ...process.env, ...envOf(stack.config), TEMPORAL_NAMESPACE: namespace, LOG_LEVEL: 'error' },
    ready: /worker ready/,
    withinMs: 90_000,
    children,
  });

const listed = async () => {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) ids.push(s.scheduleId);
  return ids.sort();
};

const describeSchedule = async (id: string) => {
  const d = await client.schedule.getHandle(id).describe();
  if (d.action.type !== 'startWorkflow') throw new Error(`${id}: ${d.action.type}`);
  return {
    workflowType: d.action.workflowType,
    taskQueue: d.action.taskQueue,
    every: d.spec.intervals?.map((i) => i.every),
    overlap: d.policies.overlap,
    paused: d.state.paused,
  };
};

it('the production worker creates the stripe-reconcile and usage-alerts Schedules; later and racing starts update them, never fail or duplicate', async () => {
  expect(await listed()).toEqual([]);
  await startWorker();
  const taskQueue = stack.config.TEMPORAL_TASK_QUEUE;
  // The list is eventually consistent (visibility); describe is not.
  await eventually('both listed', async () => (await listed()).length === 2);
  expect(await listed()).toEqual(['stripe-reconcile', 'usage-alerts']);
  expect(await describeSchedule('stripe-reconcile')).toEqual({
    workflowType: 'stripeReconcileWorkflow',
    taskQueue,
    every: [5 * 60_000],
    overlap: ScheduleOverlapPolicy.SKIP,
    paused: false,
  });
  expect(await describeSchedule('usage-alerts')).toMatchObject({ workflowType: 'usageAlertsWorkflow', taskQueue, every: [60_000] });

  // An older version's Schedule (another interval) is brought back to this version's; an
  // operator's pause is kept. Two workers start at once: both come up, nothing is duplicated.
  const handle = client.schedule.getHandle('usage-alerts');
  await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every: '7 minutes' }] } }));
  await client.schedule.getHandle('stripe-reconcile').pause('operator');
  expect((await describeSchedule('usage-alerts')).every).toEqual([7 * 60_000]);
  await Promise.all([startWorker(), startWorker()]);
  expect(children.every((c) => c.exitCode === null)).toBe(true);
  expect(await describeSchedule('usage-alerts')).toMatchObject({ every: [60_000], taskQueue, paused: false });
  expect(await describeSchedule('stripe-reconcile')).toMatchObject({ every: [5 * 60_000], paused: true });
  await eventually('still two', async () => (await listed()).length === 2);
  expect(await listed()).toEqual(['stripe-reconcile', 'usage-alerts']);
}, 240_000);
