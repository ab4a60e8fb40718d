import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { purgeIdempotencyKeys } from '../../db/idempotency-keys';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ stripe: false });
}, 60_000);
afterAll(() => stack?.close());

const admin = (path: string, key?: string, body?: unknown) =>
  call(stack.url, 'POST', path, { token: stack.adminToken, body, ...(key && { headers: { 'idempotency-key': key } }) });
const stored = async (key: string) =>
  (await stack.deps.db.query("SELECT response::text AS response FROM idempotency_keys WHERE scope = 'admin' AND key = $1", [key])).rows[0]?.response as
    string | undefined;
const count = async (sql: string, params: unknown[]) => (await stack.deps.db.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n as number;
const newApp = async (name: string) => {
  const acct = await admin('/admin/accounts', undefined, { name });
  const app = await admin(`/admin/accounts/${acct.body.account.id}/apps`, undefined, { name });
  return { accountId: acct.body.account.id as string, appId: app.body.app.id as string };
};
const withheld = (fields: string[]) => ({ fields, message: expect.stringMatching(/shown once.*not stored.*issue a new one/s) });

describe('Idempotency-Key on secret-minting creates', () => {
  it('app credential rotations (secret keys, JWT secrets): the same key replays the same id and issues nothing; another app is a 409', async () => {
    const { appId } = await newApp('Rotate');
    const other = await newApp('Rotate other');
    const keys = () => count("api_keys WHERE app_id = $1 AND kind = 'app_secret'", [appId]);
    const jwts = () => count('app_jwt_secrets WHERE app_id = $1', [appId]);
    const [keysBefore, jwtsBefore] = [await keys(), await jwts()];

    const key = await admin(`/admin/apps/${appId}/secret-keys`, 'rot-key-1');
    expect(key.status).toBe(201);
    const again = await admin(`/admin/apps/${appId}/secret-keys`, 'rot-key-1');
    expect({ status: again.status, replayed: again.headers.get('idempotent-replayed'), body: again.body }).toEqual({
      status: 201,
      replayed: 'true',
      body: { id: key.body.id, withheld: withheld(['key']) },
    });
    // The same key for another app's rotation is another request: 409, nothing issued there.
    const clash = await admin(`/admin/apps/${other.appId}/secret-keys`, 'rot-key-1');
    expect(clash.status).toBe(409);
    expect(clash.body.error.details[0].path).toEqual(['header', 'idempotency-key']);

    const jwt = await admin(`/admin/apps/${appId}/jwt-secrets`, 'rot-jwt-1');
    expect(jwt.status).toBe(201);
    expect((await admin(`/admin/apps/${appId}/jwt-secrets`, 'rot-jwt-1')).body).toEqual({ id: jwt.body.id, withheld: withheld(['jwtSecret']) });
    expect((await admin(`/admin/apps/${other.appId}/jwt-secrets`, 'rot-jwt-1')).status).toBe(409);
    // Another route under a used key is a 409 too.
    expect((await admin(`/admin/apps/${appId}/jwt-secrets`, 'rot-key-1')).status).toBe(409);

    expect({ keys: await keys(), jwts: await jwts() }).toEqual({ keys: keysBefore + 1, jwts: jwtsBefore + 1 });
    expect(await count("api_keys WHERE app_id = $1 AND kind = 'app_secret'", [other.appId])).toBe(1);
    // The first answer's secret is the live one.
    const token = key.body.key as string;
    expect((await call(stack.url, 'GET', `/v1/${appId}/billing/plans`, { token })).status).not.toBe(401);
  });

  it('never stores a plaintext secret: the kept answer has ids only, and a replay is the same object with the secret withheld', async () => {
    const acct = await admin('/admin/accounts', 'sec-acct', { name: 'Secret Co' });
    const accountId = acct.body.account.id as string;
    const app = await admin(`/admin/accounts/${accountId}/apps`, 'sec-app', { name: 'Secret app' });
    const appId = app.body.app.id as string;
    const firsts: [string, string, Record<string, unknown>, string[]][] = [
      ['sec-acct', '/admin/accounts', acct.body, ['apiKey']],
      ['sec-app', `/admin/accounts/${accountId}/apps`, app.body, ['secretKey', 'jwtSecret']],
      ['sec-key', `/admin/accounts/${accountId}/keys`, (await admin(`/admin/accounts/${accountId}/keys`, 'sec-key')).body, ['key']],
      ['sec-svc', '/admin/service-keys', (await admin('/admin/service-keys', 'sec-svc', { name: 'svc', scopes: ['usage:write'] })).body, ['key']],
      ['sec-rot', `/admin/apps/${appId}/secret-keys`, (await admin(`/admin/apps/${appId}/secret-keys`, 'sec-rot')).body, ['key']],
      ['sec-jwt', `/admin/apps/${appId}/jwt-secrets`, (await admin(`/admin/apps/${appId}/jwt-secrets`, 'sec-jwt')).body, ['jwtSecret']],
    ];
    const bodyOf: Record<string, unknown> = { '/admin/accounts': { name: 'Secret Co' }, [`/admin/accounts/${accountId}/apps`]: { name: 'Secret app' } };
    bodyOf['/admin/service-keys'] = { name: 'svc', scopes: ['usage:write'] };
    for (const [key, path, first, secrets] of firsts) {
      const plaintext = secrets.map((f) => first[f]);
      expect({ path, secrets: plaintext.every((v) => typeof v === 'string' && v.length >= 20) }).toEqual({ path, secrets: true });
      const record = await stored(key);
      expect(record).toBeDefined();
      for (const secret of plaintext) expect({ path, leaked: record!.includes(secret as string) }).toEqual({ path, leaked: false });
      const { ...rest } = first;
      for (const f of secrets) delete rest[f];
      expect(JSON.parse(record!)).toEqual(rest);
      const replay = await admin(path, key, bodyOf[path]);
      expect({ path, body: replay.body }).toEqual({ path, body: { ...rest, withheld: withheld(secrets) } });
    }
  });

  it('keeps a key 24 h: it still replays just inside, and after it the key is free and purged (stored timestamp moved)', async () => {
    const body = { name: 'svc-ttl', scopes: ['usage:write'] };
    const first = await admin('/admin/service-keys', 'ttl-1', body);
    expect(first.status).toBe(201);
    const age = (interval: string) =>
      stack.deps.db.query(`UPDATE idempotency_keys SET created_at = now() - $2::interval WHERE scope = 'admin' AND key = $1`, ['ttl-1', interval]);
    await age('23 hours 59 minutes');
    expect(await purgeIdempotencyKeys(stack.deps.db)).toBe(0);
    const inside = await admin('/admin/service-keys', 'ttl-1', body);
    expect({ replayed: inside.headers.get('idempotent-replayed'), id: inside.body.id }).toEqual({ replayed: 'true', id: first.body.id });
    // Just inside, another body is still a clash.
    expect((await admin('/admin/service-keys', 'ttl-1', { ...body, name: 'other' })).status).toBe(409);

    await age('24 hours 1 minute');
    const after = await admin('/admin/service-keys', 'ttl-1', { ...body, name: 'other' });
    expect({ status: after.status, replayed: after.headers.get('idempotent-replayed') }).toEqual({ status: 201, replayed: null });
    expect(after.body.id).not.toBe(first.body.id);
    expect(await count("api_keys WHERE kind = 'service' AND name IN ('svc-ttl', 'other')", [])).toBe(2);

    // The purge deletes what is past 24 h and nothing younger.
    await admin('/admin/service-keys', 'ttl-2', body);
    await age('24 hours 1 minute');
    expect(await purgeIdempotencyKeys(stack.deps.db)).toBeGreaterThanOrEqual(1);
    expect({ old: await stored('ttl-1'), young: (await stored('ttl-2')) !== undefined }).toEqual({ old: undefined, young: true });
  });
});
