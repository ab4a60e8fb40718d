import pino from 'pino';

/** JSON logs on stdout; request-scoped children carry the request id into every line. */
export type Logger = pino.Logger;

export function createLogger(level: string = 'info', name = 'tollbooth'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
