import { z } from 'zod';
import type { RouteDef } from './route';
import type { ErrorDetail } from '../../platform/errors';
import { IDEMPOTENCY_HEADER_DOC, idempotencyKeyHeader } from '../middleware/idempotency';

const detailSchema = z.object({ path: z.array(z.union([z.string(), z.number()])).optional(), message: z.string(), code: z.string().optional() });
// Compile-time tie: every detail the API sends (ErrorDetail) fits the documented schema.
export const errorDetailsFitSpec: ErrorDetail extends z.infer<typeof detailSchema> ? true : never = true;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.array(detailSchema) }) });

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const securityOf: Record<string, string> = {
  admin: 'adminToken', account: 'accountKey', app: 'appSecretKey', end_user: 'endUserJwt', service: 'serviceKey',
};

function parametersOf(def: RouteDef, where: 'path' | 'query', schema?: z.ZodType) {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s,
  }));
}

/** OpenAPI 3.1 built from the registered routes themselves. */
export function buildOpenApi(routes: RouteDef[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(def.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } }
        : { description: r.description };
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: jsonSchema(errorSchema, 'output') } } };
    (paths[def.path] ??= {})[def.method] = {
      summary: def.summary,
      tags: [def.tag],
      operationId: `${def.method}${def.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      security: def.auth.map((k) => ({ [securityOf[k] ?? k]: [] })),
      parameters: [
        ...parametersOf(def, 'path', def.params), ...parametersOf(def, 'query', def.query),
        ...(def.idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: IDEMPOTENCY_HEADER_DOC, schema: jsonSchema(idempotencyKeyHeader, 'input') }] : []),
      ],
      ...(def.body && !def.rawBody
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(def.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  const bearer = (description: string) => ({ type: 'http', scheme: 'bearer', description });
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        adminToken: bearer('ADMIN_TOKEN'),
        accountKey: bearer('An account API key (tb_acct_...)'),
        appSecretKey: bearer("An app's secret key (tb_sk_...)"),
        endUserJwt: { ...bearer("HS256 JWT signed with the app's JWT secret; sub = customer id"), bearerFormat: 'JWT' },
        serviceKey: bearer('A platform service key (tb_svc_...)'),
      },
    },
  };
}
