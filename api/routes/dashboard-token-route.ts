import type { Authenticator } from '../middleware/authenticate';
import { unavailable } from '../../platform/errors';

/** Shared by the account's and the admin's minting routes. */
export async function mintDashboardToken(auth: Authenticator, accountId: string, ttlSeconds: number) {
  if (!auth.dashboardTokens.available) throw unavailable('Dashboard tokens are signed with a key derived from ADMIN_TOKEN, which is unset');
  return auth.dashboardTokens.mint(accountId, ttlSeconds);
}
