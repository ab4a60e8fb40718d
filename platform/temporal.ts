import { Client, Connection } from '@temporalio/client';

/** A Temporal client plus a cheap liveness probe for /readyz. */
export async function connectTemporal(address: string, namespace: string): Promise<{ client: Client; healthy: () => Promise<boolean>; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  const client = new Client({ connection, namespace });
  return {
    client,
    healthy: async () => {
      try {
        await connection.withDeadline(Date.now() + 1_500, () => connection.workflowService.getSystemInfo({}));
        return true;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
}
