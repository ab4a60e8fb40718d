import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { artifactPath, openBrowser } from '../helpers/browser';

let stack: TestStack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack({ stripe: false }), openBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the API reference at /docs (chromium)', () => {
  it('renders every operation, the auth schemes and the schemas from /openapi.json, with nothing fetched from elsewhere', async () => {
    const spec = (await call(stack.url, 'GET', '/openapi.json')).body;
    const operations = Object.values(spec.paths).flatMap((ops: any) => Object.keys(ops)).length;
    const page = await browser.context.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${stack.url}/docs`);
    await page.waitForSelector('.opblock');
    expect(await page.locator('.opblock').count()).toBe(operations);

    await page.click('button.authorize');
    const schemes = await page.locator('.auth-container h4').allTextContents();
    expect(schemes.map((s) => s.replace(/\s*\(.*\)$/, '').trim()).sort()).toEqual(Object.keys(spec.components.securitySchemes).sort());
    await page.click('button.btn-done');

    const models = await page
      .locator('section.models article[data-json-schema-level="0"] > .json-schema-2020-12-head .json-schema-2020-12__title')
      .allTextContents();
    expect(models.sort()).toEqual(Object.keys(spec.components.schemas).sort());

    // The ingestion route shows its documented event fields and its example.
    await page.click('#operations-usage-postV1UsageEvents .opblock-summary');
    await page.waitForSelector('#operations-usage-postV1UsageEvents .body-param__example, #operations-usage-postV1UsageEvents .microlight');
    expect(await page.textContent('#operations-usage-postV1UsageEvents')).toContain('evt-7f3a');
    await page.screenshot({ path: artifactPath('api-reference.png'), fullPage: false });
    expect({ foreign, errors }).toEqual({ foreign: [], errors: [] });
    await page.close();
  });
});
