import type { Db } from '../platform/pg';
import { getPlan, planIdOfPrice } from '../db/plans';
import { appPlanIdOfPrice, getAppPlan } from '../db/app-plans';

/** Where a plan is looked up: the platform's plans, or one app's. */
export interface PlanCatalogue {
  planOfPrice(priceId: string): Promise<string | undefined>;
  hasPlan(planId: string): Promise<boolean>;
}

export const platformPlans = (db: Db): PlanCatalogue => ({
  planOfPrice: (priceId) => planIdOfPrice(db, priceId),
  hasPlan: async (planId) => Boolean(await getPlan(db, planId)),
});

/** One app's plans only: a Price or plan id of another app's is no plan of this one. */
export const appPlans = (db: Db, appId: string): PlanCatalogue => ({
  planOfPrice: (priceId) => appPlanIdOfPrice(db, appId, priceId),
  hasPlan: async (planId) => Boolean(await getAppPlan(db, appId, planId)),
});

/**
 * The plan a subscription's state means. The Price decides, as it is what the customer pays;
 * the plan named in metadata is the fallback. A plan the catalogue does not know is no plan.
 */
export async function planOfPatch(patch: { priceId?: string | null; planId?: string | null } | undefined, plans: PlanCatalogue): Promise<string | null> {
  const byPrice = patch?.priceId ? await plans.planOfPrice(patch.priceId) : undefined;
  const candidate = byPrice ?? patch?.planId;
  return candidate && (await plans.hasPlan(candidate)) ? candidate : null;
}
