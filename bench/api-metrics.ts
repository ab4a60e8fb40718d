import http from 'node:http';
import { round } from './lib';

const agent = new http.Agent({ keepAlive: true });

/** The API's own Prometheus metrics (GET /metrics), as name{labels} -> value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get(`${url}/metrics`, { agent }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => {
          b += c.toString();
        });
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return values;
}

/**
 * What the API process did during a run, from its metrics before and after: CPU per request
 * (robust to a busy machine, unlike latency), its event-loop delay (prom-client resets that
 * histogram at every scrape, so the second scrape covers the run), and how often limit checks
 * waited for a usage read or for Postgres.
 */
export async function apiWindow(url: string) {
  const before = await scrape(url);
  return async (requests: number) => {
    const after = await scrape(url);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    const cpuMs = (delta('tollbooth_process_cpu_user_seconds_total') + delta('tollbooth_process_cpu_system_seconds_total')) * 1000;
    const reads = delta('tollbooth_usage_view_read_seconds_count{kind="refresh"}');
    return {
      api_cpu_ms_per_request: round(cpuMs / requests, 3),
      api_loop_delay_p99_ms: round((after.get('tollbooth_nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000, 2),
      api_loop_delay_max_ms: round((after.get('tollbooth_nodejs_eventloop_lag_max_seconds') ?? 0) * 1000, 2),
      waits_for_snapshot: delta('tollbooth_limit_check_waits_total{reason="snapshot"}'),
      waits_for_postgres: delta('tollbooth_limit_check_waits_total{reason="postgres"}'),
      refresh_reads: reads,
      refresh_mean_ms: reads > 0 ? round((delta('tollbooth_usage_view_read_seconds_sum{kind="refresh"}') / reads) * 1000, 1) : null,
      refresh_over_250ms: reads - delta('tollbooth_usage_view_read_seconds_bucket{le="0.25",kind="refresh"}'),
      // Garbage collection pauses the event loop: total ms per kind during the run.
      gc_major_ms: round(delta('tollbooth_nodejs_gc_duration_seconds_sum{kind="major"}') * 1000, 1),
      gc_minor_ms: round(delta('tollbooth_nodejs_gc_duration_seconds_sum{kind="minor"}') * 1000, 1),
      gc_incremental_ms: round(delta('tollbooth_nodejs_gc_duration_seconds_sum{kind="incremental"}') * 1000, 1),
    };
  };
}
