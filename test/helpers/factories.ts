import { SignJWT } from 'jose';
import { call } from './http';
import type { TestStack } from './stack';

const ok = <T>(reply: { status: number; body: T }, status: number): T => {
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
};

export async function createAccount(stack: TestStack, name = 'Acme'): Promise<{ accountId: string; apiKey: string }> {
  const body = ok(await call(stack.url, 'POST', '/admin/accounts', { token: stack.adminToken, body: { name } }), 201);
  return { accountId: body.account.id, apiKey: body.apiKey };
}

export async function createApp(stack: TestStack, accountId: string, name = 'App'): Promise<{ appId: string; secretKey: string; jwtSecret: string }> {
  const body = ok(await call(stack.url, 'POST', `/admin/accounts/${accountId}/apps`, { token: stack.adminToken, body: { name } }), 201);
  return { appId: body.app.id, secretKey: body.secretKey, jwtSecret: body.jwtSecret };
}

export async function createServiceKey(stack: TestStack): Promise<{ id: string; key: string }> {
  return ok(await call(stack.url, 'POST', '/admin/service-keys', { token: stack.adminToken, body: { name: 'svc', scopes: ['usage:write'] } }), 201);
}

/** Creates or replaces a platform plan from its full admin body. */
export async function putPlan(stack: TestStack, planId: string, body: Record<string, unknown>) {
  ok(await call(stack.url, 'PUT', `/admin/plans/${planId}`, { token: stack.adminToken, body }), 200);
}

export async function setPlan(stack: TestStack, planId: string, limits: Record<string, { limit: number; mode: 'hard' | 'soft' }>, amountCents = 0) {
  await putPlan(stack, planId, { name: planId, amountCents, limits });
}

export async function assignPlan(stack: TestStack, accountId: string, planId: string) {
  ok(await call(stack.url, 'PUT', `/admin/accounts/${accountId}/plan`, { token: stack.adminToken, body: { planId } }), 200);
}

export async function endUserToken(jwtSecret: string, customerId: string, expiresIn = '1h'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(jwtSecret));
}

/**
 * A usage event with defaults. The timestamp defaults to a minute ago, but never before the
 * current quarter hour: an account created in this quarter hour has its first billing period
 * start there, and an event before it would (rightly) not count in the period.
 */
const recent = () => Math.max(Date.now() - 60_000, Math.floor(Date.now() / 900_000) * 900_000);
export const usageEvent = (accountId: string, id: string, over: Partial<{ meter: string; value: number; timestamp: string; appId: string }> = {}) => ({
  id,
  accountId,
  meter: 'ai_tokens',
  value: 1,
  timestamp: new Date(recent()).toISOString(),
  ...over,
});
