import { isUtf8 } from 'node:buffer';
import type { Context } from 'koa';
import { AppError } from '../../platform/errors';

// Past the limit we keep reading (and dropping) this many more bytes, so a client that streams
// a body without Content-Length gets its 413 instead of a reset connection; beyond it, we hang up.
const DRAIN_BYTES = 4 * 1024 * 1024;

/**
 * Reads the request body with a hard byte limit (413 past it) and returns the exact bytes.
 * JSON routes parse them; webhook routes verify signatures on them untouched.
 */
export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw tooLarge(limit);
  const req = ctx.req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + DRAIN_BYTES) {
        req.destroy();
        settle(() => reject(tooLarge(limit)));
      }
    });
    req.once('end', () => settle(() => (size > limit ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks)))));
    req.once('error', (err) => settle(() => reject(err)));
    req.once('close', () => settle(() => reject(new AppError('bad_request', 'The request body was cut off'))));
  });
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  // Decoding would replace each bad byte with U+FFFD, so two ids that differ only there would
  // become one id (and the second event a "duplicate"): refuse such bodies whole instead.
  if (!isUtf8(raw)) {
    throw new AppError('bad_request', 'The request body is not valid UTF-8', [{ path: ['body'], message: 'not valid UTF-8', code: 'invalid_utf8' }]);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new AppError('bad_request', `Malformed JSON body: ${(err as Error).message}`, [{ path: ['body'], message: 'malformed JSON' }]);
  }
}

const tooLarge = (limit: number) =>
  new AppError('payload_too_large', `Request body exceeds ${limit} bytes`, [{ path: ['body'], message: `at most ${limit} bytes` }]);
