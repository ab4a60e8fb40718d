import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../platform/pg';
import { AppError } from '../../platform/errors';
import { claimIdempotencyKey, completeIdempotencyKey, purgeIdempotencyKeys, readIdempotencyKey, releaseIdempotencyKey } from '../../db/idempotency-keys';
import type { Principal } from './principal';
import type { RouteResult } from '../openapi/route';
import { fromZod } from './errors';

/** Idempotency-Key header: may become part of a workflow id, so only id-safe characters. */
export const idempotencyKeyHeader = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, '1 to 200 characters of A-Z a-z 0-9 . _ : -');

export const IDEMPOTENCY_HEADER_DOC =
  'Optional. The same key with the same body within 24 hours replays the first answer ' +
  '(header Idempotent-Replayed: true) and creates nothing; with another body, or while the first request runs, it is a 409. ' +
  'A secret (API key, app secret key, JWT secret) is shown in the first answer only: a replay omits it and says so in `withheld`.';

const WITHHELD_MESSAGE =
  'This is a replay of an Idempotency-Key request: the secret was shown once, in the first answer, and is not stored. ' +
  'If it was lost, issue a new one and revoke this one.';

/** What a replayed answer of a secret-minting create carries in place of its secrets. */
export const withheldSchema = z
  .object({ fields: z.array(z.string()).describe('the secret fields left out of this replay'), message: z.string() })
  .describe('Present only on an Idempotency-Key replay: the secrets it leaves out')
  .meta({ id: 'WithheldSecrets' });

/** A response field holding a secret shown once: absent from a replay (see `withheld`). */
export const shownOnce = (what: string) => z.string().optional().describe(`${what}. Shown once: absent from an Idempotency-Key replay (see withheld)`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whose keys these are: two callers' keys never meet. */
const scopeOf = (p: Principal): string => {
  switch (p.kind) {
    case 'account':
      return `account:${p.accountId}`;
    case 'app':
      return `app:${p.appId}`;
    case 'end_user':
      return `end_user:${p.appId}:${p.customerId}`;
    case 'service':
      return `service:${p.keyId}`;
    default:
      return p.kind;
  }
};

/** Stable JSON: the same parameters in another key order are the same request. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
};

const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Stripe's Idempotency-Key semantics for create routes, one implementation for all of them:
 * the first request with a key runs and its 2xx answer is kept 24 h; the same key and body
 * again gets that answer without running; the same key with another body (or route) is a 409,
 * as is a second request while the first still runs. A failed request keeps nothing, so the
 * client may retry it with the same key. `secrets` (a route's top-level response fields that
 * hold a plaintext credential) are never written to the table: keys are stored only as hashes,
 * and a replay answers the same object without them, naming them in `withheld`.
 */
export function createIdempotency(db: Pick<Db, 'query'>) {
  let lastPurge = 0;
  // Which keys this process is running now, and its name in the table's `holder` column.
  const holder = randomUUID();
  const running = new Map<string, number>();
  return async (
    input: { principal: Principal; header: string | undefined; method: string; path: string; body: unknown; secrets?: readonly string[] },
    run: () => Promise<RouteResult>,
  ): Promise<RouteResult> => {
    if (input.header === undefined) return run();
    const parsed = idempotencyKeyHeader.safeParse(input.header);
    if (!parsed.success) throw fromZod(parsed.error, 'header.idempotency-key');
    const key = parsed.data;
    const scope = scopeOf(input.principal);
    const hash = createHash('sha256')
      .update(canonical([input.method, input.path, input.body ?? null]))
      .digest('hex');
    if (Date.now() - lastPurge > PURGE_EVERY_MS) {
      lastPurge = Date.now();
      void purgeIdempotencyKeys(db).catch(() => undefined);
    }
    const here = JSON.stringify([scope, key]);
    // Counted before the claim's round trip: a second request of this process sees the first at
    // once and only reads the key, never claims it. Were it to claim, its claim could reach
    // Postgres before the first's, which would then take the row over as abandoned: two runs.
    const heldHere = (running.get(here) ?? 0) > 0;
    running.set(here, (running.get(here) ?? 0) + 1);
    try {
      return await claimAndRun(scope, key, hash, heldHere, input.secrets ?? [], run);
    } finally {
      const n = (running.get(here) ?? 1) - 1;
      if (n > 0) running.set(here, n);
      else running.delete(here);
    }
  };

  async function claimAndRun(
    scope: string,
    key: string,
    hash: string,
    heldHere: boolean,
    secrets: readonly string[],
    run: () => Promise<RouteResult>,
  ): Promise<RouteResult> {
    const claim = heldHere ? await readIdempotencyKey(db, scope, key, hash) : await claimIdempotencyKey(db, { scope, key, requestHash: hash, holder });
    const detail = [{ path: ['header', 'idempotency-key'], message: 'already used' }];
    if (claim.kind === 'mismatch') {
      throw new AppError('conflict', `Idempotency-Key ${key} was already used with different parameters (another body or route); use a new key`, detail);
    }
    if (claim.kind === 'in_progress') throw new AppError('conflict', `A request with Idempotency-Key ${key} is still in progress; retry shortly`, detail);
    if (claim.kind === 'replay') return { status: claim.status, body: replayed(claim.body, secrets), headers: { 'idempotent-replayed': 'true' } };
    let result: RouteResult;
    try {
      result = await run();
    } catch (err) {
      await releaseIdempotencyKey(db, scope, key).catch(() => undefined);
      throw err;
    }
    if (result.status >= 200 && result.status < 300) await completeIdempotencyKey(db, scope, key, result.status, withoutSecrets(result.body, secrets));
    else await releaseIdempotencyKey(db, scope, key);
    return result;
  }
}

function withoutSecrets(body: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !isRecord(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => !secrets.includes(k)));
}

function replayed(body: unknown, secrets: readonly string[]): unknown {
  const fields = isRecord(body) ? secrets.filter((f) => !(f in body)) : [];
  return fields.length > 0 ? { ...(body as Record<string, unknown>), withheld: { fields, message: WITHHELD_MESSAGE } } : body;
}

export type Idempotency = ReturnType<typeof createIdempotency>;
