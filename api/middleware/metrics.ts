import type { Middleware } from 'koa';

/** Request counts and latency sums per route and status, in Prometheus text format. */
const requests = new Map<string, { count: number; seconds: number }>();

export function metricsMiddleware(): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const key = `method="${ctx.method}",route="${route}",status="${ctx.status}"`;
      const m = requests.get(key) ?? { count: 0, seconds: 0 };
      m.count += 1;
      m.seconds += (performance.now() - started) / 1000;
      requests.set(key, m);
    }
  };
}

export function renderMetrics(): string {
  const lines = ['# TYPE http_requests_total counter', '# TYPE http_request_seconds_sum counter'];
  for (const [labels, m] of requests) {
    lines.push(`http_requests_total{${labels}} ${m.count}`, `http_request_seconds_sum{${labels}} ${m.seconds.toFixed(6)}`);
  }
  return `${lines.join('\n')}\n`;
}
