import type { ApiDeps } from '../deps';
import type { Authenticator } from '../middleware/authenticate';
import type { RouteDef } from '../openapi/route';
import { adminRoutes } from './admin';
import { dashboardRoutes } from './dashboard';
import { healthRoutes } from './health';
import { appCatalogRoutes } from './app-catalog';
import { appCheckoutRoutes } from './app-checkout';
import { connectRoutes } from './connect';
import { platformBillingRoutes } from './platform-billing';
import { usageRoutes } from './usage';
import { overageRoutes } from './overage';

/** Every route of the API, in the order /openapi.json lists them. */
export const allRoutes = (deps: ApiDeps, auth: Authenticator): RouteDef[] => [
  ...healthRoutes(deps),
  ...adminRoutes(deps, auth),
  ...usageRoutes(deps),
  ...dashboardRoutes(deps, auth),
  ...platformBillingRoutes(deps),
  ...overageRoutes(deps),
  ...connectRoutes(deps),
  ...appCatalogRoutes(deps),
  ...appCheckoutRoutes(deps),
];
