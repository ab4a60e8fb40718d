import { post, type ApiProcess } from './lib';

/** Accounts and a service key on a bench API, created through the admin routes. */
export async function seedTenants(api: ApiProcess, accounts: number): Promise<{ accountIds: string[]; serviceKey: string; apiKeys: string[] }> {
  const token = api.env.ADMIN_TOKEN!;
  const created = await Promise.all(
    Array.from({ length: accounts }, (_, i) => post(`${api.url}/admin/accounts`, token, JSON.stringify({ name: `bench-${i}` }))),
  );
  const svc = await post(`${api.url}/admin/service-keys`, token, JSON.stringify({ name: 'bench', scopes: ['usage:write'] }));
  return { accountIds: created.map((c) => c.json.account.id), apiKeys: created.map((c) => c.json.apiKey), serviceKey: svc.json.key };
}

const METERS = ['ai_tokens', 'lambda_invocations', 'bandwidth_bytes', 'storage_bytes'];

/** `count` distinct events over the accounts, within the last day, as batches of `batchSize`. */
export function eventBatches(accountIds: string[], count: number, batchSize: number, runId: string) {
  const now = Date.now();
  const batches: object[][] = [];
  for (let i = 0; i < count; i += batchSize) {
    const batch = [];
    for (let j = i; j < Math.min(i + batchSize, count); j++) {
      batch.push({
        id: `${runId}-${j}`,
        accountId: accountIds[j % accountIds.length]!,
        meter: METERS[j % 4]!,
        value: (j % 1000) + 1,
        timestamp: new Date(now - (j % 86_400) * 1000).toISOString(),
      });
    }
    batches.push(batch);
  }
  return batches;
}
