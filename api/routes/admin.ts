import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import type { Authenticator } from '../middleware/authenticate';
import { shownOnce, withheldSchema } from '../middleware/idempotency';
import { AppError, notFound } from '../../platform/errors';
import { createAccount, getAccount, listAccounts, setAccountPlan } from '../../db/accounts';
import { addAppJwtSecret, createApp, getApp, revokeAppJwtSecret } from '../../db/apps';
import { createKey, revokeKey } from '../../db/keys';
import { getPlan, listPlans, upsertPlan } from '../../db/plans';
import { startAccountProvisioning, toAppError } from '../workflow-calls';
import * as s from './admin.schemas';
import { tokenBody, tokenResponse } from './dashboard.schemas';
import { mintDashboardToken } from './dashboard-token-route';

const tag = 'admin';

export function adminRoutes(deps: ApiDeps, auth: Authenticator): RouteDef[] {
  const account = async (id: string) => (await getAccount(deps.db, id)) ?? Promise.reject(notFound('Account'));
  const app = async (id: string) => (await getApp(deps.db, id)) ?? Promise.reject(notFound('App'));
  return [
    defineRoute({
      method: 'post',
      path: '/admin/accounts',
      idempotent: true,
      shownOnce: ['apiKey'],
      summary: 'Create an account; its API key is shown once',
      tag,
      auth: ['admin'],
      body: s.createAccountBody,
      responses: {
        201: { description: 'created', schema: z.object({ account: s.accountSchema, apiKey: shownOnce('Its API key'), withheld: withheldSchema.optional() }) },
        503: { description: 'Temporal is unavailable; nothing was created' },
      },
      handler: async ({ body }) => {
        const created = await createAccount(deps.db, body);
        try {
          await startAccountProvisioning(deps, created.account.id);
        } catch (err) {
          // Without its workflow the account would never be provisioned: undo, let the caller retry.
          await deps.db.query('DELETE FROM api_keys WHERE account_id = $1', [created.account.id]);
          await deps.db.query('DELETE FROM accounts WHERE id = $1', [created.account.id]);
          throw toAppError(err, 'Account provisioning (the account was not created)');
        }
        return { status: 201, body: { account: created.account, apiKey: created.apiKey.key } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/accounts',
      summary: 'List accounts in id order, a page at a time (`after` = the last id of the previous page)',
      tag,
      auth: ['admin'],
      query: s.listAccountsQuery,
      responses: {
        200: {
          description: 'one page; `nextAfter` is null on the last',
          schema: z.object({ accounts: z.array(s.accountSchema), nextAfter: z.string().nullable() }),
        },
      },
      handler: async ({ query }) => {
        const accounts = await listAccounts(deps.db, query);
        return { status: 200, body: { accounts, nextAfter: accounts.length === query.limit ? accounts[accounts.length - 1]!.id : null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/accounts/{accountId}',
      summary: 'Read an account',
      tag,
      auth: ['admin'],
      params: s.accountParams,
      responses: { 200: { description: 'the account', schema: z.object({ account: s.accountSchema }) } },
      handler: async ({ params }) => ({ status: 200, body: { account: await account(params.accountId) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/accounts/{accountId}/keys',
      idempotent: true,
      shownOnce: ['key'],
      summary: 'Issue another API key for an account (rotation)',
      tag,
      auth: ['admin'],
      params: s.accountParams,
      responses: { 201: { description: 'created', schema: s.keySchema } },
      handler: async ({ params }) => {
        await account(params.accountId);
        return { status: 201, body: await createKey(deps.db, { kind: 'account', accountId: params.accountId, name: 'rotated' }) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/admin/accounts/{accountId}/plan',
      summary: "Set an account's platform plan",
      tag,
      auth: ['admin'],
      params: s.accountParams,
      body: s.setPlanBody,
      responses: { 200: { description: 'updated', schema: z.object({ account: s.accountSchema }) } },
      handler: async ({ params, body }) => {
        await account(params.accountId);
        if (!(await getPlan(deps.db, body.planId)))
          throw new AppError('validation_failed', `Unknown plan ${body.planId}`, [{ path: ['body', 'planId'], message: 'unknown plan' }]);
        await setAccountPlan(deps.db, params.accountId, body.planId);
        return { status: 200, body: { account: await account(params.accountId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/admin/accounts/{accountId}/apps',
      idempotent: true,
      shownOnce: ['secretKey', 'jwtSecret'],
      summary: 'Create an app; its secret key and JWT secret are shown once',
      tag,
      auth: ['admin'],
      params: s.accountParams,
      body: s.createAppBody,
      responses: {
        201: {
          description: 'created',
          schema: z.object({
            app: s.appSchema,
            secretKey: shownOnce('Its secret key'),
            secretKeyId: z.string().describe('revoke it with DELETE /admin/keys/{keyId}'),
            jwtSecret: shownOnce('Signs end-user JWTs (HS256)'),
            jwtSecretId: z.string(),
            withheld: withheldSchema.optional(),
          }),
        },
      },
      handler: async ({ params, body }) => {
        await account(params.accountId);
        return { status: 201, body: await createApp(deps.db, { accountId: params.accountId, name: body.name }) };
      },
    }),
    // Rotation is the operator's: a leaked app secret must not be able to rotate the app's
    // credentials itself and revoke its owner's. Old and new stay valid until the old is revoked.
    defineRoute({
      method: 'post',
      path: '/admin/accounts/{accountId}/dashboard-tokens',
      summary: 'Mint a read-only dashboard token for an account (to embed /app)',
      tag,
      auth: ['admin'],
      params: s.accountParams,
      body: tokenBody,
      responses: { 201: { description: 'the token; it may call GET /dashboard/* only', schema: tokenResponse } },
      handler: async ({ params, body }) => {
        await account(params.accountId);
        return { status: 201, body: await mintDashboardToken(auth, params.accountId, body.ttlSeconds) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/admin/apps/{appId}/secret-keys',
      idempotent: true,
      shownOnce: ['key'],
      summary: 'Issue another secret key for an app (rotation; revoke the old one with DELETE /admin/keys/{keyId})',
      tag,
      auth: ['admin'],
      params: s.appParams,
      responses: { 201: { description: 'created; shown once', schema: s.keySchema } },
      handler: async ({ params }) => {
        const found = await app(params.appId);
        return { status: 201, body: await createKey(deps.db, { kind: 'app_secret', accountId: found.accountId, appId: found.id, name: 'rotated' }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/admin/apps/{appId}/jwt-secrets',
      idempotent: true,
      shownOnce: ['jwtSecret'],
      summary: 'Issue another JWT secret for an app (rotation: tokens of either verify until one is revoked)',
      tag,
      auth: ['admin'],
      params: s.appParams,
      responses: { 201: { description: 'created; shown once', schema: s.jwtSecretSchema } },
      handler: async ({ params }) => ({ status: 201, body: await addAppJwtSecret(deps.db, (await app(params.appId)).id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/admin/apps/{appId}/jwt-secrets/{jwtSecretId}',
      summary: "Revoke one of an app's JWT secrets",
      tag,
      auth: ['admin'],
      params: s.jwtSecretParams,
      responses: { 204: { description: 'revoked' } },
      handler: async ({ params }) => {
        if (!(await revokeAppJwtSecret(deps.db, params.appId, params.jwtSecretId))) throw notFound('JWT secret');
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/admin/service-keys',
      idempotent: true,
      shownOnce: ['key'],
      summary: "Create a key for the platform's own services",
      tag,
      auth: ['admin'],
      body: s.createServiceKeyBody,
      responses: { 201: { description: 'created', schema: s.keySchema } },
      handler: async ({ body }) => ({ status: 201, body: await createKey(deps.db, { kind: 'service', name: body.name, scopes: body.scopes }) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/admin/keys/{keyId}',
      summary: 'Revoke any key',
      tag,
      auth: ['admin'],
      params: s.keyParams,
      responses: { 204: { description: 'revoked' } },
      handler: async ({ params }) => {
        if (!(await revokeKey(deps.db, params.keyId))) throw notFound('Key');
        auth.forget();
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/admin/plans',
      summary: 'The platform plan catalogue',
      tag,
      auth: ['admin'],
      responses: { 200: { description: 'plans, cheapest first', schema: z.object({ plans: z.array(s.planSchema) }) } },
      handler: async () => ({ status: 200, body: { plans: await listPlans(deps.db) } }),
    }),
    defineRoute({
      method: 'put',
      path: '/admin/plans/{planId}',
      summary: 'Create or replace a platform plan and its limits',
      tag,
      auth: ['admin'],
      params: s.planParams,
      body: s.upsertPlanBody,
      responses: { 200: { description: 'the plan', schema: z.object({ plan: s.planSchema }) } },
      handler: async ({ params, body }) => ({ status: 200, body: { plan: await upsertPlan(deps.db, { id: params.planId, ...body }) } }),
    }),
  ];
}
