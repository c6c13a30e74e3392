import type { LogLevel } from './config';
import type { Logger } from './ports';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Whether a line at `at` is written when the setting is `level`. */
export function isLogged(at: LogLevel, level: LogLevel): boolean {
  return RANK[at] >= RANK[level];
}

/**
 * One JSON line per event: local mode's logger, and the tests'. (The Lambda functions log
 * through Powertools, lambdas/adapters/aws/logging/powertools-logger.ts.) Callers pass ids
 * and outcomes, never keys, secrets or payloads.
 */
export function createJsonLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const log =
    (at: LogLevel) =>
    (message: string, context: Record<string, unknown> = {}) => {
      if (!isLogged(at, level)) return;
      write(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...context }));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** The error's own message and name only: a stack or a cause may carry data that must not reach logs. */
export function describeError(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { error: error.name, reason: error.message } : { error: String(error) };
}
