// Smoke test for jest globalSetup: every backing service is up and answering.
import { Connection } from '@temporalio/client';
import { Client } from 'pg';
import { testServices } from './helpers/services';

const services = testServices();

// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
// (@temporalio/proto is not a direct dependency).
const INDEXED_VALUE_TYPE_KEYWORD = 2;

describe('test services', () => {
  test('postgres answers SELECT 1', async () => {
    const client = new Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  test('clickhouse answers /ping and SELECT version()', async () => {
    const ping = await fetch(`${services.clickhouseUrl}/ping`);
    expect(await ping.text()).toBe('Ok.\n');
    const res = await fetch(`${services.clickhouseUrl}/?query=${encodeURIComponent('SELECT version()')}`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toMatch(/^\d+\.\d+/);
  });

  test('temporal has the default namespace and the search attributes', async () => {
    const connection = await Connection.connect({ address: services.temporalAddress });
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(ns.namespaceInfo?.name).toBe('default');
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of ['AccountId', 'AppId', 'CustomerId', 'StripeObjectId']) {
        expect(customAttributes?.[name]).toBe(INDEXED_VALUE_TYPE_KEYWORD);
      }
    } finally {
      await connection.close();
    }
  });

  test('stripe-mock lists customers', async () => {
    const res = await fetch(`${services.stripeApiBase}/v1/customers`, {
      headers: { Authorization: 'Bearer sk_test_123' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list' });
  });
});
