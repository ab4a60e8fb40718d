import { AppError } from '../platform/errors';
import type { Principal } from './middleware/principal';

/**
 * The app a principal may act on. Another tenant's app is "not found", never "forbidden":
 * a 403 would confirm that the id exists.
 */
export function requireApp(principal: Principal, appId: string): { appId: string; accountId: string } {
  if ((principal.kind === 'app' || principal.kind === 'end_user') && principal.appId === appId) {
    return { appId, accountId: principal.accountId };
  }
  throw new AppError('not_found', 'App not found');
}

/** The account of an account key or a dashboard token (each route lists which it accepts). */
export function requireAccount(principal: Principal): string {
  if (principal.kind === 'account' || principal.kind === 'dashboard') return principal.accountId;
  throw new AppError('forbidden', 'An account API key is required');
}
