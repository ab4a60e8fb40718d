import type { ApiClient } from './api-client';
import { writeRows, type OutputFormat } from './output';

interface Account {
  id: string;
  name: string;
  email: string | null;
  planId: string;
  provisioningState: string;
  createdAt: string;
}

/** `tollbooth accounts list`: every account, read a page at a time from GET /admin/accounts. */
export async function listAccounts(api: ApiClient, format: OutputFormat): Promise<number> {
  const accounts: Account[] = [];
  for (let after: string | null = ''; after !== null;) {
    const page: { accounts: Account[]; nextAfter: string | null } = await api.call(
      'GET',
      `/admin/accounts?limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`,
    );
    accounts.push(...page.accounts);
    after = page.nextAfter;
  }
  writeRows(process.stdout, format, ['id', 'name', 'email', 'planId', 'provisioningState', 'createdAt'], accounts);
  return accounts.length;
}
