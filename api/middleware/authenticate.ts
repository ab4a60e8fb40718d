import { LRUCache } from 'lru-cache';
import { timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Db } from '../../platform/pg';
import { AppError } from '../../platform/errors';
import { findActiveKey } from '../../db/keys';
import { getAppJwtSecrets } from '../../db/apps';
import type { Principal } from './principal';
import { createDashboardTokens, DASHBOARD_TOKEN_PREFIX } from '../dashboard-tokens';

// Key lookups sit on the ingestion hot path; a short TTL bounds how long another process may
// still accept a key after it was revoked (this process forgets it at once, see `forget`).
const KEY_CACHE_MS = 5_000;

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const invalid = (why: string) => new AppError('unauthorized', why);
const BAD_TOKEN = 'Invalid end-user token';

export function createAuthenticator(db: Db, adminToken: string | undefined) {
  // Bounded (least recently used go first), so a flood of distinct keys cannot grow memory.
  // Past its TTL a key is still answered from memory while one lookup re-reads it: at thousands
  // of requests a second on one key, an expiry must not send each of them to Postgres at once
  // (which stalled every request queued behind the pool). A revoked key is therefore accepted
  // at most KEY_CACHE_MS plus one lookup after its revocation, by other processes.
  const cache = new LRUCache<string, Principal>({
    max: 100_000,
    ttl: KEY_CACHE_MS,
    allowStale: true,
    fetchMethod: async (key) => {
      const row = await findActiveKey(db, key);
      if (!row) return undefined; // not cached: a key created a moment later must work at once
      return row.kind === 'account'
        ? { kind: 'account', accountId: row.account_id!, keyId: row.id }
        : row.kind === 'app_secret'
          ? { kind: 'app', appId: row.app_id!, accountId: row.account_id!, keyId: row.id }
          : { kind: 'service', keyId: row.id, scopes: row.scopes };
    },
  });
  const dashboardTokens = createDashboardTokens(adminToken);

  async function fromKey(key: string): Promise<Principal> {
    const principal = await cache.fetch(key);
    if (!principal) throw invalid('Unknown or revoked API key');
    return principal;
  }

  /** End-user tokens are only meaningful for the app named in the path: its secret verifies them. */
  async function fromJwt(token: string, appId: string | undefined): Promise<Principal> {
    if (!appId) throw invalid('End-user tokens are accepted only on /v1/{app_id}/billing routes');
    const app = await getAppJwtSecrets(db, appId);
    // An unknown app and a token its app did not sign get the same answer, so an
    // unauthenticated caller cannot learn which app ids exist. Only a token whose signature
    // verified may learn more (which claim failed: it is expired, or lacks `sub`).
    // Every unrevoked secret is tried, newest first: during a rotation both verify.
    for (const secret of app?.jwtSecrets ?? []) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
      } catch (err) {
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) throw invalid(`${BAD_TOKEN}: ${err.message}`);
        throw invalid(BAD_TOKEN);
      }
      // The customer id reaches Stripe and Postgres text, which cannot hold NUL.
      if (String(payload.sub).includes('\u0000')) throw invalid(`${BAD_TOKEN}: sub must not contain NUL`);
      return { kind: 'end_user', appId, accountId: app!.accountId, customerId: String(payload.sub) };
    }
    throw invalid(BAD_TOKEN);
  }

  return {
    async authenticate(authorization: string | undefined, appId: string | undefined): Promise<Principal> {
      if (!authorization) return { kind: 'anonymous' };
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) throw invalid('Authorization must be "Bearer <token>"');
      const token = match[1]!;
      if (adminToken && sameSecret(token, adminToken)) return { kind: 'admin' };
      if (token.startsWith(DASHBOARD_TOKEN_PREFIX)) {
        try {
          return { kind: 'dashboard', accountId: await dashboardTokens.verify(token) };
        } catch (err) {
          throw invalid(`Invalid dashboard token: ${(err as Error).message}`);
        }
      }
      if (token.startsWith('tb_')) return fromKey(token);
      if (token.split('.').length === 3) return fromJwt(token, appId);
      throw invalid('Unrecognised credential');
    },
    dashboardTokens,
    forget(): void {
      cache.clear();
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
