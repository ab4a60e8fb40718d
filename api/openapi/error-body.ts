import { z } from 'zod';
import { errorStatus, type ErrorCode, type ErrorDetail } from '../../platform/errors';

/** The one error body of every route (api/middleware/errors.ts writes it). */
export const errorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]).describe('Stable machine-readable reason; it decides the HTTP status'),
      message: z.string().describe('For humans: what went wrong and, where it helps, what to do'),
      details: z.array(
        z.object({
          path: z
            .array(z.union([z.string(), z.number()]))
            .optional()
            .describe('Where: "body", "query", "path" or "header.<name>", then the field path'),
          message: z.string(),
          code: z.string().optional().describe('For validation failures, the zod issue code (invalid_type, too_small, unrecognized_keys, ...)'),
        }),
      ),
    }),
  })
  .meta({
    id: 'Error',
    examples: [
      {
        error: {
          code: 'validation_failed',
          message: 'Invalid body: body.amount: Too small: expected number to be >=0',
          details: [{ path: ['body', 'amount'], message: 'Too small: expected number to be >=0', code: 'too_small' }],
        },
      },
    ],
  });

// Compile-time tie: every detail the API sends (ErrorDetail) fits the documented schema.
export const errorDetailsFitSpec: ErrorDetail extends z.infer<typeof errorBody>['error']['details'][number] ? true : never = true;

/** What each error status means on this API; a route lists the ones it can answer. */
export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: `details` name each field (path) and why',
  401: 'Missing, unknown, revoked or expired credential',
  403: 'The credential is valid but of a kind that may not call this route',
  404: 'Not found, or it belongs to another tenant',
  409: 'Conflicts with the current state (see the message)',
  413: 'The request body is larger than MAX_BODY_BYTES',
  422: 'Stripe refused the request (the message says why)',
  429: "More requests per second than the key's or the account's budget; `Retry-After` says when to retry",
  503: 'A dependency (Stripe, Temporal, ClickHouse, Postgres) is unavailable or not configured; retry later',
};
