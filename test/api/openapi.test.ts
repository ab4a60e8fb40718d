import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestStack, type TestStack } from '../helpers/stack';
import Ajv2020 from 'ajv/dist/2020';
import { call } from '../helpers/http';

/** The users' API table (the external contract), kept verbatim: every path and parameter in it must exist. */
const contract = readFileSync(join(__dirname, '..', 'fixtures', 'api-contract.txt'), 'utf8');
const contractRoutes = [...contract.matchAll(/^\|\s*(GET|POST|PUT|DELETE)\s*\|\s*(\S+)\s*\|/gm)].map((m) => ({ method: m[1]!.toLowerCase(), path: m[2]! }));
const contractWebhooks = [...contract.matchAll(/^(POST)\s+(\/webhooks\/\S+)/gm)].map((m) => ({ method: 'post', path: m[2]! }));

let stack: TestStack;
let spec: any;
beforeAll(async () => {
  stack = await startTestStack();
  spec = (await call(stack.url, 'GET', '/openapi.json')).body;
});
afterAll(() => stack.close());

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1', () => {
    expect(spec.openapi).toBe('3.1.0');
  });

  it('lists every route of the contract with its exact path', () => {
    expect(contractRoutes.length).toBe(18);
    for (const r of [...contractRoutes, ...contractWebhooks]) {
      expect({ route: `${r.method} ${r.path}`, present: Boolean(spec.paths[r.path]?.[r.method]) }).toEqual({ route: `${r.method} ${r.path}`, present: true });
    }
  });

  it('declares each path parameter of the contract paths', () => {
    for (const r of contractRoutes) {
      const names = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = spec.paths[r.path][r.method].parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name);
      expect(declared.sort()).toEqual(names.sort());
    }
  });

  it('declares the contract query parameters of /dashboard/usage, meterType with the four meters', () => {
    const params = spec.paths['/dashboard/usage'].get.parameters.filter((p: any) => p.in === 'query');
    const byName = Object.fromEntries(params.map((p: any) => [p.name, p]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['startDate', 'endDate', 'meterType', 'timezone', 'appId']));
    expect(byName.meterType.schema.enum.sort()).toEqual(['ai_tokens', 'bandwidth_bytes', 'lambda_invocations', 'storage_bytes']);
  });

  it('has a docs page', async () => {
    const docs = await call(stack.url, 'GET', '/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('documents an error schema that accepts the errors actually sent', async () => {
    // Every route points at the one Error component.
    expect(spec.paths['/admin/accounts'].post.responses.default.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    const schema = spec.components.schemas.Error;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const admin = { token: stack.adminToken };
    const errors = [
      await call(stack.url, 'POST', '/admin/accounts', { ...admin, body: { name: 123, extra: true } }),
      await call(stack.url, 'POST', '/admin/accounts', { ...admin, raw: '{"name":', headers: { 'content-type': 'application/json' } }),
      await call(stack.url, 'POST', '/admin/accounts', { ...admin, raw: Buffer.from([0x7b, 0xff, 0x7d]) }),
      await call(stack.url, 'GET', '/dashboard/usage?startDate=nope', { token: 'tb_acct_unknown' }),
      await call(stack.url, 'GET', '/nowhere'),
    ];
    expect(errors.map((e) => e.status)).toEqual([400, 400, 400, 401, 404]);
    // The zod 400 carries details[].code: the strict schema must allow it.
    expect(errors[0]!.body.error.details[0]).toHaveProperty('code');
    for (const e of errors) {
      expect({ body: e.body, valid: validate(e.body), errors: validate.errors ?? null }).toEqual({ body: e.body, valid: true, errors: null });
    }
  });
});
