// A test stack on Temporal's time-skipping test server instead of the shared dev server: the
// real API, worker, Postgres and stripe-mock, but `skip(ms)` moves workflow time forward, so a
// 7-day grace period or a 24-hour checkout expiry is tested as it runs in production, in
// milliseconds. One server per stack: skipped time is global to the server.
import { temporal } from '@temporalio/proto';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { testServices } from './services';
import { startTestStack, type TestStack } from './stack';
import { startTemporalTestServer } from '../../testing/temporal-test-server';

export interface TimeSkippingStack extends TestStack {
  /** Moves the server's clock forward (timers that come due fire) and returns. */
  skip(ms: number): Promise<void>;
}

export async function startTimeSkippingStack(opts: Parameters<typeof startTestStack>[0] = {}): Promise<TimeSkippingStack> {
  const server = await startTemporalTestServer({ logDir: testServices().logDir });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      await connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(
          Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
        ),
      });
    } finally {
      await connection.close();
    }
    const stack = await startTestStack({ ...opts, env: { ...opts.env, TEMPORAL_ADDRESS: server.address } });
    return {
      ...stack,
      skip: server.skip,
      async close() {
        await stack.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
