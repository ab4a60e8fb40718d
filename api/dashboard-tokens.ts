import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

export const DASHBOARD_TOKEN_PREFIX = 'tb_dash_';
export const DASHBOARD_TOKEN_MAX_SECONDS = 24 * 3600;
const SCOPE = 'dashboard:read';

/**
 * Short-lived, read-only tokens for embedding the dashboard: an HS256 JWT (sub = account id)
 * behind a prefix. Nothing is stored; the signing key is derived from ADMIN_TOKEN, so rotating
 * the admin token revokes every dashboard token at once.
 */
export function createDashboardTokens(adminToken: string | undefined) {
  const key = adminToken ? createHmac('sha256', adminToken).update('tollbooth dashboard tokens v1').digest() : undefined;

  return {
    available: key !== undefined,
    async mint(accountId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: string }> {
      if (!key) throw new Error('dashboard tokens need ADMIN_TOKEN');
      const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
      const jwt = await new SignJWT({ scope: SCOPE }).setProtectedHeader({ alg: 'HS256' }).setSubject(accountId).setIssuedAt().setExpirationTime(exp).sign(key);
      return { token: `${DASHBOARD_TOKEN_PREFIX}${jwt}`, expiresAt: new Date(exp * 1000).toISOString() };
    },
    /** The account id, or an Error saying why the token is not valid (expired, bad signature, ...). */
    async verify(token: string): Promise<string> {
      if (!key) throw new Error('dashboard tokens are disabled');
      const { payload } = await jwtVerify(token.slice(DASHBOARD_TOKEN_PREFIX.length), key, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      if (payload.scope !== SCOPE) throw new Error('not a dashboard token');
      return String(payload.sub);
    },
  };
}

export type DashboardTokens = ReturnType<typeof createDashboardTokens>;
