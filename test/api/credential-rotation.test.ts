import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount, endUserToken } from '../helpers/factories';

let stack: TestStack;
let accountId: string;
beforeAll(async () => {
  stack = await startTestStack();
  accountId = (await createAccount(stack)).accountId;
});
afterAll(() => stack.close());

const admin = (method: string, path: string, body?: unknown) => call(stack.url, method, path, { token: stack.adminToken, body });
const plans = (appId: string, token: string) => call(stack.url, 'GET', `/v1/${appId}/billing/plans`, { token });

async function newApp() {
  const r = await admin('POST', `/admin/accounts/${accountId}/apps`, { name: 'Rotating' });
  expect(r.status).toBe(201);
  return r.body as { app: { id: string }; secretKey: string; secretKeyId: string; jwtSecret: string; jwtSecretId: string };
}

describe('app credential rotation', () => {
  it('app creation returns the ids of its secret key and JWT secret', async () => {
    const created = await newApp();
    expect(created.secretKeyId).toMatch(/^key_/);
    expect(created.jwtSecretId).toMatch(/^jwts_/);
  });

  it('a new secret key works alongside the old one until the old one is revoked', async () => {
    const created = await newApp();
    const rotated = await admin('POST', `/admin/apps/${created.app.id}/secret-keys`);
    expect(rotated.status).toBe(201);
    expect((await plans(created.app.id, created.secretKey)).status).toBe(200);
    expect((await plans(created.app.id, rotated.body.key)).status).toBe(200);
    expect((await admin('DELETE', `/admin/keys/${created.secretKeyId}`)).status).toBe(204);
    expect((await plans(created.app.id, created.secretKey)).status).toBe(401);
    expect((await plans(created.app.id, rotated.body.key)).status).toBe(200);
  });

  it('tokens signed with the old or the new JWT secret verify until the old one is revoked', async () => {
    const created = await newApp();
    const oldToken = await endUserToken(created.jwtSecret, 'cus_1');
    const rotated = await admin('POST', `/admin/apps/${created.app.id}/jwt-secrets`);
    expect(rotated.status).toBe(201);
    const newToken = await endUserToken(rotated.body.jwtSecret, 'cus_1');
    expect((await plans(created.app.id, oldToken)).status).toBe(200);
    expect((await plans(created.app.id, newToken)).status).toBe(200);
    expect((await admin('DELETE', `/admin/apps/${created.app.id}/jwt-secrets/${created.jwtSecretId}`)).status).toBe(204);
    const refused = await plans(created.app.id, oldToken);
    expect(refused.status).toBe(401);
    // The same answer as for an app that does not exist.
    expect(refused.body).toEqual((await plans('app_doesnotexist', oldToken)).body);
    expect((await plans(created.app.id, newToken)).status).toBe(200);
  });

  it("is for the operator only: an app cannot rotate or revoke its own credentials; other apps' ids are 404", async () => {
    const created = await newApp();
    const other = await newApp();
    for (const [method, path] of [
      ['POST', `/admin/apps/${created.app.id}/secret-keys`],
      ['POST', `/admin/apps/${created.app.id}/jwt-secrets`],
      ['DELETE', `/admin/apps/${created.app.id}/jwt-secrets/${created.jwtSecretId}`],
    ] as const) {
      expect((await call(stack.url, method, path, { token: created.secretKey })).status).toBe(403);
    }
    expect((await admin('DELETE', `/admin/apps/${created.app.id}/jwt-secrets/${other.jwtSecretId}`)).status).toBe(404);
    expect((await admin('POST', '/admin/apps/app_nope/jwt-secrets')).status).toBe(404);
    expect((await plans(other.app.id, await endUserToken(other.jwtSecret, 'c'))).status).toBe(200);
  });
});
