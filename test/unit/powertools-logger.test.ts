import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsLogger } from '../../lambdas/adapters/aws/logging/powertools-logger';

/** The functions' log lines through Powertools Logger, at the deployment's level, as Lambda sets it up. */
describe('PowertoolsLogger', () => {
  // Powertools writes to process.stdout and process.stderr through a console of its own.
  let lines: Record<string, unknown>[];
  beforeEach(() => {
    lines = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('writes one JSON object per line, the context keys at the top level beside the function', () => {
    const logger = new PowertoolsLogger({ level: 'info', service: 'delivery' });
    logger.info('attempt failed', {
      appId: 'app_1',
      msgId: 'msg_1',
      endpointId: 'ep_1',
      responseStatus: 503,
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'attempt failed',
        service: 'delivery',
        timestamp: expect.any(String),
        appId: 'app_1',
        msgId: 'msg_1',
        endpointId: 'ep_1',
        responseStatus: 503,
      }),
    ]);
  });

  it.each([
    // Lambda's filter as lib/hookpost-function.ts sets it for each setting: DEBUG for debug, else INFO.
    { level: 'debug', lambdaFilter: 'DEBUG', written: ['debug', 'info', 'warn', 'error'] },
    { level: 'info', lambdaFilter: 'INFO', written: ['info', 'warn', 'error'] },
    { level: 'warn', lambdaFilter: 'INFO', written: ['warn', 'error'] },
    { level: 'error', lambdaFilter: 'INFO', written: ['error'] },
  ] as const)(
    'writes the lines at $level and above under Lambda’s $lambdaFilter filter, and no warning of its own',
    ({ level, lambdaFilter, written }) => {
      vi.stubEnv('AWS_LAMBDA_LOG_LEVEL', lambdaFilter);
      const logger = new PowertoolsLogger({ level, service: 'fanOut' });
      for (const at of ['debug', 'info', 'warn', 'error'] as const) logger[at](`at ${at}`);
      expect(lines.map((line) => line.message)).toEqual(written.map((at) => `at ${at}`));
    },
  );

  it('writes at its setting outside Lambda too', () => {
    const logger = new PowertoolsLogger({ level: 'warn', service: 'api' });
    logger.info('not written');
    logger.warn('written');
    expect(lines.map((line) => line.message)).toEqual(['written']);
  });
});
