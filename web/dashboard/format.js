// Human-sized numbers for the dashboard: bytes in binary units (GiB), tokens and invocations in
// k / M / B. Exact values stay in the title attributes and the API.
(function () {
  const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  const COUNT_UNITS = [['', 1], ['k', 1e3], ['M', 1e6], ['B', 1e9], ['T', 1e12]];
  const METER_NAMES = {
    storage_bytes: 'Storage', ai_tokens: 'AI tokens', lambda_invocations: 'Function invocations', bandwidth_bytes: 'Bandwidth',
  };
  const NOUNS = { ai_tokens: 'tokens', lambda_invocations: 'invocations' };

  const trim = (n) => (n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(n >= 10 ? 1 : 2).replace(/\.?0+$/, ''));

  function bytes(n) {
    let i = 0;
    while (Math.abs(n) >= 1024 && i < BYTE_UNITS.length - 1) { n /= 1024; i += 1; }
    return `${trim(n)} ${BYTE_UNITS[i]}`;
  }

  function count(n) {
    let unit = COUNT_UNITS[0];
    for (const u of COUNT_UNITS) if (Math.abs(n) >= u[1]) unit = u;
    return `${trim(n / unit[1])}${unit[0]}`;
  }

  /** "2.5 GiB", "12.3k tokens", "800 invocations". */
  function amount(meter, n) {
    if (meter.endsWith('_bytes')) return bytes(n);
    return NOUNS[meter] ? `${count(n)} ${NOUNS[meter]}` : count(n);
  }

  /** Axis ticks: the short form, without the noun. */
  function tick(meter, n) {
    return meter.endsWith('_bytes') ? bytes(n) : count(n);
  }

  const meterName = (meter) => METER_NAMES[meter] || meter;
  const money = (cents, currency) => new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);
  const date = (iso) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

  window.TollboothFormat = { bytes, count, amount, tick, meterName, money, date };
})();
