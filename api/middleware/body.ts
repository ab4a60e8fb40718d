import type { Context } from 'koa';
import { AppError } from '../../platform/errors';

/**
 * Reads the request body with a hard byte limit (413 past it) and returns the exact bytes.
 * JSON routes parse them; webhook routes verify signatures on them untouched.
 */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      ctx.req.destroy();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new AppError('bad_request', `Malformed JSON body: ${(err as Error).message}`, [{ path: ['body'], message: 'malformed JSON' }]);
  }
}

const tooLarge = (limit: number) =>
  new AppError('payload_too_large', `Request body exceeds ${limit} bytes`, [{ path: ['body'], message: `at most ${limit} bytes` }]);
