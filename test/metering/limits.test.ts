import { BACKENDS, startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, createApp, setPlan, usageEvent } from '../helpers/factories';
import { ingestOk, newTenant, serviceKey } from '../helpers/metering';
import { eventually, eventuallySteady } from '../helpers/eventually';

/** POST /v1/usage/check: hard limits never admit past the limit, even under concurrency. */
describe.each(BACKENDS)('usage limits (%s)', (backend) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ backend });
    await setPlan(stack, 'hard100', {
      ai_tokens: { limit: 100, mode: 'hard' },
      storage_bytes: { limit: 1000, mode: 'hard' },
      bandwidth_bytes: { limit: 0.3, mode: 'hard' },
    });
    await setPlan(stack, 'soft10', { ai_tokens: { limit: 10, mode: 'soft' } });
  });
  afterAll(() => stack?.close());

  const check = async (body: Record<string, unknown>) => call(stack.url, 'POST', '/v1/usage/check', { token: await serviceKey(stack), body });
  const tenantOn = async (plan: string) => {
    const t = await newTenant(stack);
    await assignPlan(stack, t.accountId, plan);
    return t;
  };

  it('hard: at 99 of 100, 100 concurrent checks of 1 admit exactly one', async () => {
    const t = await tenantOn('hard100');
    await ingestOk(
      stack,
      [33, 33, 33].map((value, i) => usageEvent(t.accountId, `e${i}`, { value })),
    );
    const replies = await Promise.all(Array.from({ length: 100 }, () => check({ accountId: t.accountId, meter: 'ai_tokens', amount: 1 })));
    expect(replies.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(replies.filter((r) => r.body.allowed)).toHaveLength(1);
    const admitted = replies.find((r) => r.body.allowed)!.body;
    expect(admitted).toEqual({
      allowed: true,
      used: 100,
      limit: 100,
      remaining: 0,
      mode: 'hard',
      reservationId: expect.stringMatching(/^rsv_/),
      expiresAt: expect.any(String),
    });
    const after = await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 1 });
    expect(after.body).toEqual({ allowed: false, used: 100, limit: 100, remaining: 0, mode: 'hard' });
    // The admitted token reported as a usage event with the reservation's id counts once, and
    // the limit stays reached throughout.
    await ingestOk(stack, [usageEvent(t.accountId, admitted.reservationId, { value: 1 })]);
    const asked = () => check({ accountId: t.accountId, meter: 'ai_tokens', amount: 1, reserve: false });
    // A snapshot read while the event was being stored may count it both as the event and as
    // the reservation (never neither): `used` settles at 100 once every read began after it.
    await eventuallySteady('the event metered and its reservation settled', async () => {
      const b = (await asked()).body;
      expect(b.allowed).toBe(false);
      return b.used === 100;
    });
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 1 })).body).toMatchObject({ allowed: false, used: 100, remaining: 0 });
  });

  it('hard: reserve:false only asks; the amount that fits exactly is allowed', async () => {
    const t = await tenantOn('hard100');
    await ingestOk(stack, [usageEvent(t.accountId, 'e', { value: 50 })]);
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 60, reserve: false })).body).toMatchObject({
      allowed: false,
      used: 50,
      remaining: 50,
    });
    for (let i = 0; i < 3; i++) {
      expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 50, reserve: false })).body).toMatchObject({
        allowed: true,
        used: 50,
        remaining: 50,
      });
    }
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 50 })).body).toMatchObject({ allowed: true, used: 100, remaining: 0 });
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 0.5 })).body).toMatchObject({ allowed: false, used: 100 });
  });

  it('hard: decimal amounts add exactly (0.1 + 0.1 + 0.1 fits a limit of 0.3)', async () => {
    const t = await tenantOn('hard100');
    for (let i = 0; i < 3; i++) expect((await check({ accountId: t.accountId, meter: 'bandwidth_bytes', amount: 0.1 })).body.allowed).toBe(true);
    expect((await check({ accountId: t.accountId, meter: 'bandwidth_bytes', amount: 0.1 })).body).toEqual({
      allowed: false,
      used: 0.3,
      limit: 0.3,
      remaining: 0,
      mode: 'hard',
    });
  });

  it('hard: asking and reserving agree on decimals (0.1 used, 0.2 more fits 0.3)', async () => {
    const t = await tenantOn('hard100');
    await ingestOk(stack, [usageEvent(t.accountId, 'b1', { meter: 'bandwidth_bytes', value: 0.1 })]);
    expect((await check({ accountId: t.accountId, meter: 'bandwidth_bytes', amount: 0.2, reserve: false })).body).toEqual({
      allowed: true,
      used: 0.1,
      limit: 0.3,
      remaining: 0.2,
      mode: 'hard',
    });
    expect((await check({ accountId: t.accountId, meter: 'bandwidth_bytes', amount: 0.2 })).body).toMatchObject({ allowed: true, used: 0.3, remaining: 0 });
  });

  it('soft: allowed past the limit, and used grows', async () => {
    const t = await tenantOn('soft10');
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 8 })).body).toMatchObject({
      allowed: true,
      used: 8,
      limit: 10,
      remaining: 2,
      mode: 'soft',
    });
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 8 })).body).toMatchObject({
      allowed: true,
      used: 16,
      limit: 10,
      remaining: 0,
      mode: 'soft',
    });
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 5, reserve: false })).body).toMatchObject({ allowed: true, used: 16 });
    expect((await check({ accountId: t.accountId, meter: 'ai_tokens', amount: 1 })).body).toMatchObject({ allowed: true, used: 17 });
  });

  it('storage: a hard limit compares the latest level (sum of series) plus the amount, and reserves nothing', async () => {
    const t = await tenantOn('hard100');
    const { appId } = await createApp(stack, t.accountId);
    const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    await ingestOk(stack, [
      usageEvent(t.accountId, 's1', { meter: 'storage_bytes', value: 700, timestamp: at(300) }),
      usageEvent(t.accountId, 's2', { meter: 'storage_bytes', value: 400, timestamp: at(200) }), // account level now 400
      usageEvent(t.accountId, 's3', { meter: 'storage_bytes', value: 500, appId, timestamp: at(100) }), // + app: 900
    ]);
    expect((await check({ accountId: t.accountId, meter: 'storage_bytes', amount: 100 })).body).toEqual({
      allowed: true,
      used: 900,
      limit: 1000,
      remaining: 100,
      mode: 'hard',
    });
    expect((await check({ accountId: t.accountId, meter: 'storage_bytes', amount: 100 })).body).toMatchObject({ allowed: true, used: 900 });
    expect((await check({ accountId: t.accountId, meter: 'storage_bytes', amount: 101 })).body).toMatchObject({ allowed: false, used: 900 });
    await ingestOk(stack, [usageEvent(t.accountId, 's4', { meter: 'storage_bytes', value: 250, timestamp: at(50) })]); // 250 + 500
    // Seen by checks within a second (the bound on how far `used` lags ingestion).
    const seenAt = await eventually(
      'new level seen',
      async () => (await check({ accountId: t.accountId, meter: 'storage_bytes', amount: 0 })).body.used === 750 && Date.now(),
    );
    expect(seenAt).toBeDefined();
    expect((await check({ accountId: t.accountId, meter: 'storage_bytes', amount: 250 })).body).toMatchObject({ allowed: true, used: 750, remaining: 250 });
  });

  it('an unknown account answers 404; a bad body 400', async () => {
    const unknown = await check({ accountId: 'acct_does_not_exist', meter: 'ai_tokens', amount: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await check({ accountId: 'x', meter: 'cpu', amount: 1 })).status).toBe(400);
    expect((await check({ accountId: 'x', meter: 'ai_tokens', amount: -1 })).status).toBe(400);
  });
});
