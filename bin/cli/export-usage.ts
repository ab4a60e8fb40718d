import { createWriteStream } from 'node:fs';
import type { ApiClient } from './api-client';
import { CliError, withTemporaryKey } from './api-client';
import { writeRows, type OutputFormat } from './output';

export interface ExportOptions {
  account: string;
  from: string;
  to: string;
  tz?: string;
  meter?: string;
  format: OutputFormat;
  out?: string;
}

interface UsageRow {
  date: string;
  meter: string;
  value: number;
  average?: number;
}

/**
 * `tollbooth usage export`: an account's daily usage, exactly the numbers of its dashboard
 * (GET /dashboard/usage, read with a key minted for the export and revoked after it).
 */
export async function exportUsage(api: ApiClient, opts: ExportOptions): Promise<number> {
  if (opts.format === 'table') throw new CliError('--format must be csv or ndjson');
  const account = encodeURIComponent(opts.account);
  const query = new URLSearchParams({ startDate: opts.from, endDate: opts.to, timezone: opts.tz ?? 'UTC', ...(opts.meter && { meterType: opts.meter }) });
  const rows = await withTemporaryKey(
    api,
    () => api.call('POST', `/admin/accounts/${account}/keys`),
    async (key) => (await api.call<{ usage: UsageRow[] }>('GET', `/dashboard/usage?${query}`, { token: key })).usage,
  );
  const out = opts.out ? createWriteStream(opts.out) : process.stdout;
  writeRows(out, opts.format, ['date', 'meter', 'value', 'average'], rows);
  if (opts.out)
    await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
  return rows.length;
}
