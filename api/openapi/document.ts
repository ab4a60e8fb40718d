import type { z } from 'zod';
import type { RouteDef } from './route';
import { createSchemaCollector, exampleOf } from './json-schema';
import { ERROR_DESCRIPTIONS, errorBody } from './error-body';
import { IDEMPOTENCY_HEADER_DOC, idempotencyKeyHeader } from '../middleware/idempotency';

const securityOf: Record<string, string> = {
  admin: 'adminToken',
  account: 'accountKey',
  dashboard: 'dashboardToken',
  app: 'appSecretKey',
  end_user: 'endUserJwt',
  service: 'serviceKey',
};

type Collector = ReturnType<typeof createSchemaCollector>;

function parametersOf(toSchema: Collector['toSchema'], where: 'path' | 'query', schema?: z.ZodType) {
  if (!schema) return [];
  const js = toSchema(schema, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    ...(s.description && { description: s.description }),
    schema: s,
  }));
}

const json = (schema: unknown, example: unknown) => ({ 'application/json': { schema, ...(example !== undefined && { example }) } });

/** The error statuses a route can answer: from what it takes and who may call it, plus its own. */
function errorStatuses(def: RouteDef): number[] {
  const statuses = new Set(
    Object.keys(def.responses)
      .map(Number)
      .filter((s) => s >= 400),
  );
  if (def.params || def.query || def.body || def.rawBody) statuses.add(400);
  if (def.auth.length > 0) {
    statuses.add(401);
    statuses.add(403);
  }
  if (def.path.includes('{')) statuses.add(404);
  if (def.body || def.rawBody) statuses.add(413);
  if (def.idempotent) statuses.add(409);
  // Admins are the operator and are not rate limited; every other credential is.
  if (def.auth.some((k) => k !== 'admin')) statuses.add(429);
  return [...statuses].sort();
}

function responsesOf(def: RouteDef, toSchema: Collector['toSchema'], errorRef: unknown) {
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(def.responses)) {
    if (Number(status) >= 400) continue;
    if (r.schema) responses[status] = { description: r.description, content: json(toSchema(r.schema, 'output'), exampleOf(r.schema)) };
    else if (r.contentType) responses[status] = { description: r.description, content: { [r.contentType]: { schema: { type: 'string' } } } };
    else responses[status] = { description: r.description };
  }
  for (const status of errorStatuses(def)) {
    const own = def.responses[status];
    const schema = own?.schema ? toSchema(own.schema, 'output') : errorRef;
    responses[status] = { description: own?.description ?? ERROR_DESCRIPTIONS[status] ?? 'Error', content: json(schema, undefined) };
  }
  responses.default = { description: 'Unexpected error (500 internal)', content: json(errorRef, undefined) };
  return responses;
}

function requestBodyOf(def: RouteDef, toSchema: Collector['toSchema']) {
  if (def.rawBody) {
    return {
      required: true,
      description: 'A Stripe Event, byte for byte as Stripe sent it (the signature covers the raw body)',
      content: json({ type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' } } }, undefined),
    };
  }
  const body = def.documentedBody ?? def.body;
  if (!body) return undefined;
  return { required: true, content: json(toSchema(body, 'input'), exampleOf(body)) };
}

const operationId = (def: RouteDef) =>
  `${def.method}${def.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;

/** OpenAPI 3.1 built from the registered routes themselves. */
export function buildOpenApi(routes: RouteDef[], info: { title: string; version: string; description?: string }) {
  const { toSchema, components } = createSchemaCollector();
  const errorRef = toSchema(errorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const requestBody = requestBodyOf(def, toSchema);
    const signature = def.rawBody
      ? [{ name: 'Stripe-Signature', in: 'header', required: true, description: "Stripe's signature of the raw body", schema: { type: 'string' } }]
      : [];
    const idempotency = def.idempotent
      ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: IDEMPOTENCY_HEADER_DOC, schema: toSchema(idempotencyKeyHeader, 'input') }]
      : [];
    (paths[def.path] ??= {})[def.method] = {
      summary: def.summary,
      tags: [def.tag],
      operationId: operationId(def),
      security: def.auth.map((k) => ({ [securityOf[k] ?? k]: [] })),
      parameters: [...parametersOf(toSchema, 'path', def.params), ...parametersOf(toSchema, 'query', def.query), ...signature, ...idempotency],
      ...(requestBody && { requestBody }),
      responses: responsesOf(def, toSchema, errorRef),
    };
  }
  const bearer = (description: string) => ({ type: 'http', scheme: 'bearer', description });
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        adminToken: bearer('ADMIN_TOKEN of the deployment: the admin routes'),
        accountKey: bearer('An account API key (tb_acct_...): /dashboard/* for that account'),
        dashboardToken: bearer(
          'A read-only dashboard token (tb_dash_...), minted by POST /dashboard/tokens or by an admin: GET /dashboard/* of one account until it expires',
        ),
        appSecretKey: bearer("An app's secret key (tb_sk_...): that app's /v1/{app_id}/billing/* routes; acts for a customer named by customerId"),
        endUserJwt: { ...bearer("An end user's HS256 JWT signed with the app's JWT secret; sub = customer id, exp required"), bearerFormat: 'JWT' },
        serviceKey: bearer('A platform service key (tb_svc_...) with scope usage:write: /v1/usage/*'),
      },
    },
  };
}
