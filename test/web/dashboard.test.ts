import type { Page } from 'playwright-core';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { eventually } from '../helpers/eventually';
import { assignPlan, createAccount, createServiceKey, setPlan, usageEvent } from '../helpers/factories';
import { artifactPath, openBrowser } from '../helpers/browser';
import { evaluateAlerts } from '../../metering/alerts';
import { localDate } from '../../metering/timezone';
import { createDashboardTokens } from '../../api/dashboard-tokens';

const GiB = 1024 ** 3;
const DAY = 86_400_000;
const TZ = 'Asia/Tokyo';
const LIMITS = {
  ai_tokens: { limit: 10_000, mode: 'hard' as const },
  lambda_invocations: { limit: 1_000, mode: 'soft' as const },
  storage_bytes: { limit: 10 * GiB, mode: 'hard' as const },
  bandwidth_bytes: { limit: 100 * GiB, mode: 'soft' as const },
};

let stack: TestStack;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let account: { accountId: string; apiKey: string };
const checkoutUrlsSeen: string[] = [];

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack({ worker: true }), openBrowser()]);
  await setPlan(stack, 'starter', LIMITS);
  const pro = await call(stack.url, 'PUT', '/admin/plans/pro', {
    token: stack.adminToken,
    body: { name: 'Pro', amountCents: 2500, stripePriceId: 'price_pro', limits: {} },
  });
  expect(pro.status).toBe(200);
  account = await createAccount(stack, 'Dashboard Co');
  await assignPlan(stack, account.accountId, 'starter');
  const svc = await createServiceKey(stack);
  const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  const { accountId } = account;
  const events = [
    // This billing period (it began when the account was created): the bars.
    usageEvent(accountId, 'tok-now', { meter: 'ai_tokens', value: 2_500 }),
    usageEvent(accountId, 'fn-now', { meter: 'lambda_invocations', value: 850 }),
    usageEvent(accountId, 'disk-now', { meter: 'storage_bytes', value: 3 * GiB }),
    // Earlier days: the daily charts.
    usageEvent(accountId, 'tok-1', { meter: 'ai_tokens', value: 12_000, timestamp: at(1 * DAY) }),
    usageEvent(accountId, 'tok-3', { meter: 'ai_tokens', value: 4_321, timestamp: at(3 * DAY) }),
    usageEvent(accountId, 'fn-2', { meter: 'lambda_invocations', value: 77, timestamp: at(2 * DAY) }),
    usageEvent(accountId, 'bw-4', { meter: 'bandwidth_bytes', value: 5 * GiB, timestamp: at(4 * DAY) }),
    usageEvent(accountId, 'disk-5', { meter: 'storage_bytes', value: 1 * GiB, timestamp: at(5 * DAY) }),
    usageEvent(accountId, 'disk-3', { meter: 'storage_bytes', value: 2 * GiB, timestamp: at(3 * DAY) }),
  ];
  const ingest = await call(stack.url, 'POST', '/v1/usage/events', { token: svc.key, body: { events } });
  expect(ingest.body).toMatchObject({ accepted: events.length, rejected: [] });
  await evaluateAlerts(stack.deps.db, stack.deps.store)([accountId]);
  await browser.context.route('https://checkout.stripe.com/**', (route) => {
    checkoutUrlsSeen.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Stripe Checkout (intercepted by the test)</h1>' });
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function signedIn(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${stack.url}/app`);
  await page.fill('#credential', account.apiKey);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('body[data-loaded="plan"]');
  return page;
}

describe('the billing dashboard at /app (chromium)', () => {
  it('plan view: each meter bar shows the percentage of /dashboard/billing; alerts are listed', async () => {
    const page = await signedIn();
    const billing = (await call(stack.url, 'GET', '/dashboard/billing', { token: account.apiKey })).body;
    const bars = await page.$$eval('li.meter', (items) =>
      items.map((li) => ({
        meter: (li as any).dataset.meter,
        percent: (li as any).dataset.percent,
        status: (li as any).dataset.status,
        width: (li.querySelector('.fill') as any).style.width,
        text: li.textContent,
      })),
    );
    const expected = { ai_tokens: [25, 'ok'], lambda_invocations: [85, 'warning'], storage_bytes: [30, 'ok'], bandwidth_bytes: [0, 'ok'] } as const;
    for (const [meter, [percent, status]] of Object.entries(expected)) {
      expect(billing.usage[meter]).toMatchObject({ percent, status });
      const bar = bars.find((b) => b.meter === meter);
      expect(bar).toMatchObject({ percent: String(percent), status, width: `${percent}%` });
      expect(bar!.text).toContain(`${percent}%`);
    }
    // Human-sized figures.
    expect(bars.find((b) => b.meter === 'storage_bytes')!.text).toContain('3 GiB of 10 GiB');
    expect(bars.find((b) => b.meter === 'ai_tokens')!.text).toContain('2.5k tokens of 10k tokens');
    expect(await page.textContent('#plan-name')).toBe('starter');
    expect(billing.alerts).toEqual([expect.objectContaining({ meter: 'lambda_invocations', threshold: 80 })]);
    expect(await page.$$eval('#alerts li.alert', (li) => li.map((x) => x.textContent))).toEqual([
      expect.stringContaining('Function invocations passed 80% of its limit'),
    ]);
    await page.screenshot({ path: artifactPath('dashboard-plan.png'), fullPage: true });
    await page.close();
  });

  it('usage view: the charts draw exactly GET /dashboard/usage for the chosen range and time zone', async () => {
    const page = await signedIn();
    const startDate = localDate(Date.now() - 6 * DAY, TZ);
    const endDate = localDate(Date.now(), TZ);
    await page.click('nav button[data-view="usage"]');
    await page.waitForSelector('body[data-loaded="usage"]');
    await page.fill('#start-date', startDate);
    await page.fill('#end-date', endDate);
    await page.fill('#timezone', TZ);
    await page.click('#range-form button[type=submit]');
    await page.waitForSelector(`#charts[data-range="${startDate}/${endDate}/${TZ}"]`);
    const drawn: Record<string, any> = await page.evaluate(() =>
      Object.fromEntries(
        Object.entries((globalThis as any).TollboothCharts.charts).map(([meter, chart]: [string, any]) => [
          meter,
          { type: chart.config.type, labels: chart.data.labels, datasets: chart.data.datasets.map((d: any) => ({ label: d.label, data: d.data })) },
        ]),
      ),
    );
    const api = (
      await call(stack.url, 'GET', `/dashboard/usage?startDate=${startDate}&endDate=${endDate}&timezone=${encodeURIComponent(TZ)}`, { token: account.apiKey })
    ).body;
    const rowsOf = (meter: string) => api.usage.filter((r: any) => r.meter === meter);
    expect(Object.keys(drawn).sort()).toEqual(['ai_tokens', 'bandwidth_bytes', 'lambda_invocations', 'storage_bytes']);
    for (const [meter, chart] of Object.entries(drawn) as [string, any][]) {
      const rows = rowsOf(meter);
      expect(rows).toHaveLength(7);
      expect(chart.labels).toEqual(rows.map((r: any) => r.date));
      expect(chart.datasets[0].data).toEqual(rows.map((r: any) => r.value));
    }
    expect(drawn.storage_bytes.type).toBe('line');
    expect(drawn.storage_bytes.datasets.map((d: any) => d.label)).toEqual(['Peak', 'Average']);
    // Today's time-weighted average grows with the clock between the two reads: whole days only.
    expect(drawn.storage_bytes.datasets[1].data.slice(0, -1)).toEqual(
      rowsOf('storage_bytes')
        .slice(0, -1)
        .map((r: any) => r.average),
    );
    expect(drawn.storage_bytes.datasets[1].data.at(-1)).toBeGreaterThanOrEqual(2 * GiB);
    // The known usage is there (not just two empty series that agree).
    expect(drawn.ai_tokens.datasets[0].data.reduce((a: number, b: number) => a + b, 0)).toBe(2_500 + 12_000 + 4_321);
    expect(Math.max(...drawn.storage_bytes.datasets[0].data)).toBe(3 * GiB);
    expect(await page.textContent('figure[data-meter="ai_tokens"] figcaption')).toContain('18.8k tokens');
    await page.screenshot({ path: artifactPath('dashboard-usage.png'), fullPage: true });
    await page.close();
  });

  it('Upgrade starts Checkout and follows its URL to Stripe', async () => {
    const page = await signedIn();
    expect(await page.$eval('#upgrade-plan', (s) => (s as any).value)).toBe('pro');
    await page.screenshot({ path: artifactPath('dashboard-billing.png') });
    await Promise.all([page.waitForURL(/^https:\/\/checkout\.stripe\.com\//), page.click('#upgrade')]);
    const { rows } = await stack.deps.db.query('SELECT url, plan_id FROM checkouts WHERE account_id = $1', [account.accountId]);
    expect(rows).toEqual([{ url: page.url(), plan_id: 'pro' }]);
    expect(checkoutUrlsSeen).toContain(page.url());
    await page.close();
  });

  it('"Manage billing" opens the Billing Portal at the URL Stripe gave', async () => {
    // The portal needs the Stripe customer that provisioning (the worker) gives the account.
    await eventually('the account provisioned', async () => {
      const { rows } = await stack.deps.db.query('SELECT stripe_customer_id FROM accounts WHERE id = $1', [account.accountId]);
      return rows[0]?.stripe_customer_id;
    });
    // stripe-mock keeps no state: every portal session it creates has the same URL.
    const session = await call(stack.url, 'POST', '/dashboard/billing/portal', { token: account.apiKey, body: { returnUrl: `${stack.url}/app` } });
    expect(session.status).toBe(200);
    const portalUrl = new URL(session.body.url as string);
    const seen: string[] = [];
    await browser.context.route(`${portalUrl.origin}/**`, (route) => {
      seen.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Stripe Billing Portal (intercepted by the test)</h1>' });
    });
    const page = await signedIn();
    await Promise.all([page.waitForURL(portalUrl.href), page.click('#portal')]);
    expect(seen).toEqual([portalUrl.href]);
    await page.close();
  });

  it('an admin-minted dashboard token opens the page, which shows the billing period of /dashboard/billing', async () => {
    const minted = await call(stack.url, 'POST', `/admin/accounts/${account.accountId}/dashboard-tokens`, {
      token: stack.adminToken,
      body: { ttlSeconds: 300 },
    });
    expect(minted.status).toBe(201);
    const { period } = (await call(stack.url, 'GET', '/dashboard/billing', { token: minted.body.token })).body;
    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/app#token=${minted.body.token}`);
    await page.waitForSelector('body[data-loaded="plan"]');
    // The dates as this browser writes them, in its own locale and time zone.
    const { locale, timeZone } = await page.evaluate(() => ({
      locale: (globalThis as any).navigator.language as string,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    }));
    const day = (iso: string) => new Date(iso).toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone });
    expect(await page.textContent('#period')).toBe(`${day(period.start)} – ${day(period.end)}`);
    expect(await page.textContent('#plan-name')).toBe('starter');
    expect(await page.isVisible('#billing-actions')).toBe(false);
    await page.close();
  });

  it('shows errors as sentences: a bad key, a reversed range', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/app`);
    await page.fill('#credential', 'tb_acct_not_a_real_key');
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('Unknown or revoked API key');
    expect(await page.isVisible('#sign-in-view')).toBe(true);
    await page.screenshot({ path: artifactPath('dashboard-sign-in-error.png') });

    await page.fill('#credential', account.apiKey);
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForSelector('body[data-loaded="plan"]');
    await page.click('nav button[data-view="usage"]');
    await page.waitForSelector('body[data-loaded="usage"]');
    await page.fill('#start-date', '2026-03-10');
    await page.fill('#end-date', '2026-03-01');
    await page.click('#range-form button[type=submit]');
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.textContent('#error');
    expect(message).toContain('must not be before startDate');
    expect(message).not.toMatch(/[{}[\]]/);
    await page.close();
  });

  it('keeps the key for the tab only (sessionStorage, not localStorage)', async () => {
    const page = await signedIn();
    const stored = await page.evaluate(() => ({
      session: (globalThis as any).sessionStorage.getItem('tollbooth.credential'),
      local: (globalThis as any).localStorage.length,
    }));
    expect(stored).toEqual({ session: account.apiKey, local: 0 });
    const other = await browser.context.newPage();
    await other.goto(`${stack.url}/app`);
    expect(await other.isVisible('#sign-in-view')).toBe(true);
    await Promise.all([page.close(), other.close()]);
  });

  it('a dashboard token (minted by the account) embeds the page read-only: GET /dashboard/* only, until it expires', async () => {
    const minted = await call(stack.url, 'POST', '/dashboard/tokens', { token: account.apiKey, body: { ttlSeconds: 600 } });
    expect(minted.status).toBe(201);
    const token: string = minted.body.token;
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token })).status).toBe(200);
    const upgrade = await call(stack.url, 'POST', '/dashboard/billing/checkout', {
      token,
      body: { planId: 'pro', successUrl: 'https://x.example/', cancelUrl: 'https://x.example/' },
    });
    expect(upgrade.status).toBe(403);
    expect((await call(stack.url, 'POST', '/dashboard/tokens', { token, body: {} })).status).toBe(403);
    expect((await call(stack.url, 'GET', '/admin/plans', { token })).status).toBe(403);
    const expired = await createDashboardTokens(stack.adminToken).mint(account.accountId, -10);
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: expired.token })).status).toBe(401);
    const forged = await createDashboardTokens('another-admin-token-entirely').mint(account.accountId, 600);
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: forged.token })).status).toBe(401);

    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/app#token=${token}`);
    await page.waitForSelector('body[data-loaded="plan"]');
    expect(page.url()).toBe(`${stack.url}/app`);
    expect(await page.$$eval('li.meter', (items) => items.map((li) => (li as any).dataset.percent))).toEqual(['30', '25', '85', '0']);
    expect(await page.isVisible('#billing-actions')).toBe(false);
    await page.close();
  });
});
