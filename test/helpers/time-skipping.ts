// A test stack on Temporal's time-skipping test server instead of the shared dev server: the
// real API, worker, Postgres and stripe-mock, but `skip(ms)` moves workflow time forward, so a
// 7-day grace period or a 24-hour checkout expiry is tested as it runs in production, in
// milliseconds. One server per test file: skipped time is global to the server.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { installWorkerRuntime } from '../../bin/compose';
import { SEARCH_ATTRIBUTES } from './global-setup';
import { startTestStack, type TestStack } from './stack';
import { ensureTemporalTestServer } from './temporal-test-server';

export interface TimeSkippingStack extends TestStack {
  /** Moves the server's clock forward (timers that come due fire) and waits for it. */
  skip(ms: number): Promise<void>;
}

export async function startTimeSkippingStack(opts: Parameters<typeof startTestStack>[0] = {}): Promise<TimeSkippingStack> {
  installWorkerRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: await ensureTemporalTestServer() } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
    const stack = await startTestStack({ ...opts, env: { ...opts.env, TEMPORAL_ADDRESS: env.address } });
    return {
      ...stack,
      skip: (ms) => env.sleep(ms),
      async close() {
        await stack.close();
        await env.teardown();
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}
