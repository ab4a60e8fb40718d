import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDef } from '../openapi/route';
import { AppError, notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import { getAppPlan, listAppPlans } from '../../db/app-plans';
import { getAppProduct, listAppProducts } from '../../db/app-products';
import { appOf, requireConnected } from '../app-billing-access';
import { changeCatalog } from '../connect-starts';
import * as s from './connect.schemas';

const conflicts = {
  409: { description: 'Connect onboarding of the app is incomplete, or another change of this object is in progress' },
  503: { description: 'Stripe is not configured or unavailable' },
};
const planOut = z.object({ plan: s.appPlanSchema });
const productOut = z.object({ product: s.appProductSchema });
const nothingToChange = () => new AppError('validation_failed', 'The body names no field to change', [{ path: ['body'], message: 'at least one field' }]);

/**
 * An app's plans and products. Reads come from Postgres (end users may list them); writes are
 * validated here, then made on the connected account by the catalogue workflow, which writes
 * the row only once Stripe holds the objects.
 */
export function appCatalogRoutes(deps: ApiDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/plans',
      idempotent: true,
      summary: 'Create a plan',
      tag: 'app billing',
      auth: ['app'],
      params: s.appParams,
      body: s.createPlanBody,
      responses: { 201: { description: 'the plan, with its Stripe Product and recurring Price', schema: planOut }, ...conflicts },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        requireConnected(deps, app);
        const plan = await changeCatalog(deps, { op: 'createPlan', appId: app.id, id: newId('plan'), fields: body });
        return { status: 201, body: { plan } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/plans',
      summary: 'List plans',
      tag: 'app billing',
      auth: ['app', 'end_user'],
      params: s.appParams,
      responses: { 200: { description: "the app's plans", schema: z.object({ plans: z.array(s.appPlanSchema) }) } },
      handler: async ({ params, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        return { status: 200, body: { plans: await listAppPlans(deps.db, app.id) } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/{app_id}/billing/plans/{plan_id}',
      summary: 'Update a plan',
      tag: 'app billing',
      auth: ['app'],
      params: s.planParams,
      body: s.updatePlanBody,
      responses: {
        200: { description: 'the plan; a new amount, currency or interval made a new Price and archived the old one', schema: planOut },
        ...conflicts,
      },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        if (!(await getAppPlan(deps.db, app.id, params.plan_id))) throw notFound('Plan');
        if (Object.keys(body).length === 0) throw nothingToChange();
        requireConnected(deps, app);
        const plan = await changeCatalog(deps, { op: 'updatePlan', appId: app.id, id: params.plan_id, fields: body });
        return { status: 200, body: { plan } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/{app_id}/billing/products',
      idempotent: true,
      summary: 'Create a product',
      tag: 'app billing',
      auth: ['app'],
      params: s.appParams,
      body: s.createProductBody,
      responses: { 201: { description: 'the product, with its Stripe Product and one-time Price', schema: productOut }, ...conflicts },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        requireConnected(deps, app);
        const product = await changeCatalog(deps, { op: 'createProduct', appId: app.id, id: newId('prod'), fields: body });
        return { status: 201, body: { product } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/{app_id}/billing/products',
      summary: 'List products',
      tag: 'app billing',
      auth: ['app', 'end_user'],
      params: s.appParams,
      responses: { 200: { description: "the app's products", schema: z.object({ products: z.array(s.appProductSchema) }) } },
      handler: async ({ params, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        return { status: 200, body: { products: await listAppProducts(deps.db, app.id) } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/{app_id}/billing/products/{product_id}',
      summary: 'Update a product',
      tag: 'app billing',
      auth: ['app'],
      params: s.productParams,
      body: s.updateProductBody,
      responses: { 200: { description: 'the product', schema: productOut }, ...conflicts },
      handler: async ({ params, body, principal }) => {
        const app = await appOf(deps, principal, params.app_id);
        if (!(await getAppProduct(deps.db, app.id, params.product_id))) throw notFound('Product');
        if (Object.keys(body).length === 0) throw nothingToChange();
        requireConnected(deps, app);
        const product = await changeCatalog(deps, { op: 'updateProduct', appId: app.id, id: params.product_id, fields: body });
        return { status: 200, body: { product } };
      },
    }),
  ];
}
