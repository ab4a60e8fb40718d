import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliConfig } from '../../platform/config';

export class CliError extends Error {}

export interface ApiClient {
  call<T = any>(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<T>;
  adminToken(): string;
}

// Answers worth retrying unchanged: every call the CLI repeats is idempotent (ids, GETs).
const RETRYABLE = new Set([429, 502, 503, 504]);
const ATTEMPTS = 8;

/** The API over HTTP, with the admin token of the config or of DATA_DIR/admin-token (`npm start`). */
export function apiClient(config: CliConfig): ApiClient {
  const adminToken = (): string => {
    if (config.ADMIN_TOKEN) return config.ADMIN_TOKEN;
    const file = resolve(join(config.DATA_DIR, 'admin-token'));
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    throw new CliError(`No admin token: set ADMIN_TOKEN, or DATA_DIR to the folder holding admin-token (tried ${file})`);
  };
  async function call<T>(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? adminToken()}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(new URL(path, config.TOLLBOOTH_URL), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      } catch (err) {
        if (attempt >= ATTEMPTS) throw new CliError(`${method} ${config.TOLLBOOTH_URL}${path}: ${(err as Error).cause ?? (err as Error).message}`);
        await sleep(250 * 2 ** attempt);
        continue;
      }
      const text = await res.text();
      if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
      if (RETRYABLE.has(res.status) && attempt < ATTEMPTS) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      let message = text;
      try {
        message = JSON.parse(text).error.message;
      } catch {
        /* not our error body */
      }
      throw new CliError(`${method} ${path}: ${res.status} ${message}`);
    }
  }
  return { call, adminToken };
}

/** A key minted for one command and revoked when it ends, so the CLI leaves no credential behind. */
export async function withTemporaryKey<T>(api: ApiClient, mint: () => Promise<{ id: string; key: string }>, fn: (key: string) => Promise<T>): Promise<T> {
  const { id, key } = await mint();
  try {
    return await fn(key);
  } finally {
    await api.call('DELETE', `/admin/keys/${encodeURIComponent(id)}`).catch(() => undefined);
  }
}
