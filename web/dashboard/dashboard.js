// The billing dashboard: signs in with an account API key (or a read-only dashboard token),
// kept in sessionStorage so it lives and dies with the tab, and drives the /dashboard/* routes.
(function () {
  const F = window.TollboothFormat;
  const STORE_KEY = 'tollbooth.credential';
  const $ = (id) => document.getElementById(id);
  const state = { credential: sessionStorage.getItem(STORE_KEY), view: 'plan' };

  const readOnly = () => (state.credential || '').startsWith('tb_dash_');

  /** An API failure as a sentence: the server's message, then each detail it gave. */
  function readable(status, body) {
    const error = body && body.error;
    if (!error) return `The server answered ${status} without an explanation.`;
    const details = (error.details || []).map((d) => d.message).filter((m) => m && !error.message.includes(m));
    return [error.message, ...details].join(' — ');
  }

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${state.credential}`, ...(body && { 'content-type': 'application/json' }) },
        body: body && JSON.stringify(body),
      });
    } catch {
      throw new Error('The billing service cannot be reached. Check your connection and try again.');
    }
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (!res.ok) {
      if (res.status === 401) signOut();
      throw new Error(readable(res.status, json));
    }
    return json;
  }

  function showError(err) {
    $('error').textContent = err ? err.message : '';
    $('error').hidden = !err;
  }

  const guarded = (fn) => async (...args) => {
    showError(null);
    try { await fn(...args); } catch (err) { showError(err); }
  };

  function el(tag, props, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  // ---- plan view ----
  function meterItem(meter, u) {
    const pct = u.percent === null ? null : Math.round(u.percent * 10) / 10;
    const figures = u.limit === null ? `${F.amount(meter, u.used)} · no limit`
      : `${F.amount(meter, u.used)} of ${F.amount(meter, u.limit)} · ${pct}%`;
    const fill = el('div', { className: 'fill' });
    fill.style.width = `${Math.min(100, pct ?? 0)}%`;
    const bar = el('div', { className: 'bar' }, fill);
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-label', F.meterName(meter));
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    if (pct !== null) bar.setAttribute('aria-valuenow', String(pct));
    const item = el('li', { className: `meter status-${u.status}`, title: `${u.used} used, limit ${u.limit ?? 'none'} (${u.mode ?? 'no'} limit)` },
      el('div', { className: 'meter-head' },
        el('span', { className: 'meter-name' }, F.meterName(meter)),
        el('span', { className: 'meter-figures' }, figures),
        el('span', { className: 'status' }, u.status)),
      bar);
    item.dataset.meter = meter;
    item.dataset.percent = pct === null ? '' : String(pct);
    item.dataset.status = u.status;
    return item;
  }

  function alertItem(a) {
    const what = a.threshold >= 100 ? 'reached its limit' : `passed ${a.threshold}% of its limit`;
    return el('li', { className: a.threshold >= 100 ? 'alert exceeded' : 'alert warning' },
      `${F.meterName(a.meter)} ${what}: ${F.amount(a.meter, a.used)} of ${F.amount(a.meter, a.limit)} (${F.date(a.createdAt)})`);
  }

  function planOption(p, currentId) {
    const price = p.amountCents > 0 ? `${F.money(p.amountCents, p.currency)} / ${p.interval}` : 'free';
    return el('option', { value: p.id, disabled: p.id === currentId || !p.purchasable }, `${p.name} — ${price}${p.id === currentId ? ' (current)' : ''}`);
  }

  async function loadPlan() {
    const billing = await api('GET', '/dashboard/billing');
    $('plan-name').textContent = billing.plan.name;
    $('period').textContent = `${F.date(billing.period.start)} – ${F.date(billing.period.end)}`;
    const sub = billing.subscription;
    $('subscription').textContent = sub ? `${sub.status}${sub.cancelAtPeriodEnd ? ', ends at period end' : ''}` : 'none (free plan)';
    $('meters').replaceChildren(...Object.entries(billing.usage).map(([m, u]) => meterItem(m, u)));
    $('alerts').replaceChildren(...(billing.alerts.length ? billing.alerts.map(alertItem) : [el('li', { className: 'none' }, 'No open alerts.')]));
    $('billing-actions').hidden = readOnly();
    if (!readOnly()) {
      const { plans } = await api('GET', '/dashboard/plans');
      const options = plans.map((p) => planOption(p, billing.plan.id));
      $('upgrade-plan').replaceChildren(...options);
      const next = options.find((o) => !o.disabled);
      if (next) $('upgrade-plan').value = next.value;
      $('upgrade').disabled = !next;
    }
  }

  // ---- usage view ----
  async function loadUsage() {
    const params = new URLSearchParams({ timezone: $('timezone').value || 'UTC' });
    if ($('start-date').value) params.set('startDate', $('start-date').value);
    if ($('end-date').value) params.set('endDate', $('end-date').value);
    const answer = await api('GET', `/dashboard/usage?${params}`);
    $('start-date').value = answer.startDate;
    $('end-date').value = answer.endDate;
    $('timezone').value = answer.timezone;
    window.TollboothCharts.render($('charts'), answer.usage);
    $('charts').dataset.range = `${answer.startDate}/${answer.endDate}/${answer.timezone}`;
  }

  // ---- billing actions ----
  async function upgrade() {
    const here = window.location.href.split('#')[0];
    const { url } = await api('POST', '/dashboard/billing/checkout', { planId: $('upgrade-plan').value, successUrl: here, cancelUrl: here });
    window.location.assign(url);
  }

  async function portal() {
    const { url } = await api('POST', '/dashboard/billing/portal', { returnUrl: window.location.href.split('#')[0] });
    window.location.assign(url);
  }

  // ---- navigation ----
  function show(view) {
    state.view = view;
    const signedIn = Boolean(state.credential);
    $('sign-in-view').hidden = signedIn;
    $('tabs').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    $('plan-view').hidden = !signedIn || view !== 'plan';
    $('usage-view').hidden = !signedIn || view !== 'usage';
    for (const b of $('tabs').querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    document.body.dataset.view = signedIn ? view : 'sign-in';
  }

  const open = guarded(async (view) => {
    show(view);
    document.body.dataset.loaded = '';
    await (view === 'plan' ? loadPlan() : loadUsage());
    document.body.dataset.loaded = view;
  });

  function signOut() {
    sessionStorage.removeItem(STORE_KEY);
    state.credential = null;
    show('plan');
  }

  function signIn(credential) {
    state.credential = credential.trim();
    sessionStorage.setItem(STORE_KEY, state.credential);
    return open('plan');
  }

  function init() {
    $('timezone').value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    $('timezones').append(...Intl.supportedValuesOf('timeZone').map((z) => el('option', { value: z })));
    $('sign-in-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('credential').value); $('credential').value = ''; });
    $('sign-out').addEventListener('click', signOut);
    $('range-form').addEventListener('submit', (e) => { e.preventDefault(); open('usage'); });
    $('upgrade').addEventListener('click', guarded(upgrade));
    $('portal').addEventListener('click', guarded(portal));
    for (const b of $('tabs').querySelectorAll('button')) b.addEventListener('click', () => open(b.dataset.view));
    // An embedding platform passes a dashboard token in the fragment (never sent to servers).
    const fromFragment = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (fromFragment) {
      history.replaceState(null, '', window.location.pathname + window.location.search);
      signIn(fromFragment);
    } else if (state.credential) open('plan');
    else show('plan');
  }

  init();
})();
