/** The four meters of the platform. Counters are summed; storage is a gauge (a level, not a flow). */
export const METERS = ['storage_bytes', 'ai_tokens', 'lambda_invocations', 'bandwidth_bytes'] as const;
export type Meter = (typeof METERS)[number];
export const GAUGE_METERS: ReadonlySet<Meter> = new Set(['storage_bytes']);
export const isGauge = (meter: string): boolean => GAUGE_METERS.has(meter as Meter);

const KNOWN: ReadonlySet<string> = new Set(METERS);
/** A meter column read back from the store (cheap enough for per-row use on large results). */
export function meterOf(value: unknown): Meter {
  if (typeof value !== 'string' || !KNOWN.has(value)) throw new TypeError(`unknown meter ${JSON.stringify(value)}`);
  return value as Meter;
}
