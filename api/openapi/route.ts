import type { Context } from 'koa';
import { z } from 'zod';
import type { Principal, PrincipalKind } from '../middleware/principal';
import type { Budget } from '../middleware/rate-limit';

/**
 * Every route is declared once as a RouteDef: the same zod schemas validate the request and
 * produce /openapi.json, so the spec cannot drift from the code.
 */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  ctx: Context;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef<P = any, Q = any, B = any> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI style: /v1/{app_id}/billing/plans */
  path: string;
  summary: string;
  tag: string;
  /** Who may call it; empty means public. */
  auth: PrincipalKind[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** What the reference shows when validation is deliberately looser (events are checked one by one). */
  documentedBody?: z.ZodType;
  /** Which request budget the route draws on (default `api`). */
  budget?: Budget;
  /** The account a service-key call acts for, named in its body: counted against that account's budget. */
  limitedAccount?: (body: B) => string;
  /** Webhooks verify signatures on the exact bytes: they get the raw body as a Buffer. */
  rawBody?: boolean;
  /** Create routes: honour an Idempotency-Key header (api/middleware/idempotency.ts). */
  idempotent?: boolean;
  /** Top-level 2xx fields holding a plaintext secret: never kept for an Idempotency-Key replay. */
  shownOnce?: readonly string[];
  /** Success and error responses; an error status without a schema answers the Error body. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (input: RouteInput<P, Q, B>) => Promise<RouteResult>;
}

export const defineRoute = <P, Q, B>(def: RouteDef<P, Q, B>): RouteDef<P, Q, B> => def;

/** Strict write bodies: an unknown field is a 400 naming it, not silently dropped. */
export const strictBody = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);
