import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from './logger';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal runtime's logger (the worker, its native core, and workflow and activity `log`
 * calls) writing through our pino logger, so the worker's lines are JSON like every other line
 * and LOG_LEVEL filters them.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const out = logger.child({ component: 'temporal' });
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => out[PINO_LEVEL[level]](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
