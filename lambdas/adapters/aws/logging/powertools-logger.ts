import { LogLevel as PowertoolsLevel, Logger as PowertoolsLoggerCore } from '@aws-lambda-powertools/logger';
import type { FunctionName, LogLevel } from '../../../contract/settings';
import { isLogged } from '../../../logger';
import type { Logger } from '../../../ports';

const LEVELS = {
  debug: PowertoolsLevel.DEBUG,
  info: PowertoolsLevel.INFO,
  warn: PowertoolsLevel.WARN,
  error: PowertoolsLevel.ERROR,
} as const satisfies Record<LogLevel, string>;

/**
 * The functions' log lines through Powertools Logger: one JSON object per line (level,
 * message, timestamp, the function as `service`, the X-Ray trace id), the context's keys
 * at the top level, where CloudWatch Logs Insights filters on them (`msgId`, `endpointId`,
 * `appId`). Callers pass ids and outcomes, never keys, secrets, payloads or header values.
 *
 * The level is the deployment's setting, applied here: on Lambda, Powertools takes its
 * level from Lambda's own log-level filter (AWS_LAMBDA_LOG_LEVEL) rather than from its
 * options, and that filter is never set above INFO (lib/hookpost-function.ts), or Lambda
 * would drop the metrics documents, which carry no level and count as INFO.
 */
export class PowertoolsLogger implements Logger {
  private readonly core: PowertoolsLoggerCore;

  constructor(private readonly options: { readonly level: LogLevel; readonly service: FunctionName }) {
    this.core = new PowertoolsLoggerCore({ serviceName: options.service, logLevel: LEVELS[options.level] });
  }

  debug(message: string, context?: Record<string, unknown>): void {
    if (isLogged('debug', this.options.level)) this.core.debug(message, context ?? {});
  }

  info(message: string, context?: Record<string, unknown>): void {
    if (isLogged('info', this.options.level)) this.core.info(message, context ?? {});
  }

  warn(message: string, context?: Record<string, unknown>): void {
    if (isLogged('warn', this.options.level)) this.core.warn(message, context ?? {});
  }

  error(message: string, context?: Record<string, unknown>): void {
    if (isLogged('error', this.options.level)) this.core.error(message, context ?? {});
  }
}
