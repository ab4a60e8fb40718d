// One Chart.js chart per meter from a GET /dashboard/usage answer. Counters are daily bars;
// storage (a gauge) is two lines, the day's peak and its time-weighted average.
(function () {
  const F = window.TollboothFormat;
  const COLORS = { bar: '#4f6bed', peak: '#d9480f', average: '#2b8a3e' };
  /** The charts on screen by meter. Also read by the browser tests: the data actually drawn. */
  const charts = {};

  function groupByMeter(usage) {
    const byMeter = new Map();
    for (const row of usage) {
      if (!byMeter.has(row.meter)) byMeter.set(row.meter, []);
      byMeter.get(row.meter).push(row);
    }
    return byMeter;
  }

  function datasetsOf(meter, rows, gauge) {
    if (!gauge) return [{ label: F.meterName(meter), data: rows.map((r) => r.value), backgroundColor: COLORS.bar }];
    return [
      { label: 'Peak', data: rows.map((r) => r.value), borderColor: COLORS.peak, backgroundColor: COLORS.peak },
      { label: 'Average', data: rows.map((r) => r.average ?? 0), borderColor: COLORS.average, backgroundColor: COLORS.average },
    ];
  }

  function captionOf(meter, rows, gauge) {
    const values = rows.map((r) => r.value);
    if (gauge) return `${F.meterName(meter)} · highest peak ${F.amount(meter, Math.max(0, ...values))}`;
    return `${F.meterName(meter)} · total ${F.amount(meter, values.reduce((a, b) => a + b, 0))}`;
  }

  function chartOf(canvas, meter, rows, gauge) {
    return new window.Chart(canvas, {
      type: gauge ? 'line' : 'bar',
      data: { labels: rows.map((r) => r.date), datasets: datasetsOf(meter, rows, gauge) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { callback: (v) => F.tick(meter, v) } } },
        plugins: {
          legend: { display: gauge },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${F.amount(meter, c.parsed.y)}` } },
        },
      },
    });
  }

  function render(container, usage) {
    for (const meter of Object.keys(charts)) { charts[meter].destroy(); delete charts[meter]; }
    container.replaceChildren();
    for (const [meter, rows] of groupByMeter(usage)) {
      const gauge = rows.some((r) => r.average !== undefined);
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.dataset.meter = meter;
      const caption = document.createElement('figcaption');
      caption.textContent = captionOf(meter, rows, gauge);
      const box = document.createElement('div');
      box.className = 'canvas-box';
      const canvas = document.createElement('canvas');
      canvas.setAttribute('aria-label', `${F.meterName(meter)} per day`);
      box.append(canvas);
      figure.append(caption, box);
      container.append(figure);
      charts[meter] = chartOf(canvas, meter, rows, gauge);
    }
  }

  window.TollboothCharts = { render, charts };
})();
