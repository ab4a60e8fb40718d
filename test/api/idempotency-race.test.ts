import type { Db } from '../../platform/pg';
import { createIdempotency } from '../../api/middleware/idempotency';
import { startTestStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ stripe: false, api: false });
}, 60_000);
afterAll(() => stack?.close());

it('two requests of one process with one key: the first one to arrive runs, even when its claim reaches Postgres last', async () => {
  // The fault: the first request's claim is held on its way to Postgres until the second one's
  // answer is known (a slow pool connection, a scheduling gap).
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstAnswered!: () => void;
  const firstClaimed = new Promise<void>((resolve) => (firstAnswered = resolve));
  let claims = 0;
  const db: Pick<Db, 'query'> = {
    query: (async (sql: string, params?: unknown[]) => {
      if (!sql.includes('INSERT INTO idempotency_keys') || ++claims > 1) return stack.deps.db.query(sql, params);
      await firstHeld;
      const result = await stack.deps.db.query(sql, params);
      firstAnswered();
      return result;
    }) as Db['query'],
  };
  const idempotency = createIdempotency(db);
  let runs = 0;
  const request = () =>
    idempotency({ principal: { kind: 'admin' }, header: 'race-in-process', method: 'post', path: '/admin/service-keys', body: { name: 'x' } }, async () => {
      const id = `obj_${++runs}`;
      // Whoever runs lets the first claim through and waits for Postgres's answer to it: were
      // the second request running now, the first would take its row over and run as well.
      releaseFirst();
      await firstClaimed;
      return { status: 201, body: { id } };
    });
  const first = request();
  const second = await request().catch((err: Error) => err);
  releaseFirst();
  expect(await first).toMatchObject({ status: 201, body: { id: 'obj_1' } });
  expect(second).toMatchObject({ code: 'conflict', message: expect.stringMatching(/still in progress/) });
  expect(runs).toBe(1);
  const rows = await stack.deps.db.query("SELECT response FROM idempotency_keys WHERE key = 'race-in-process'");
  expect(rows.rows).toEqual([{ response: { id: 'obj_1' } }]);
});
