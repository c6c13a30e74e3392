import { describe, expect, it } from 'vitest';
import { ConfigError, loadLocalConfig, loadRuntimeConfig } from '../../lambdas/config';
import packageJson from '../../package.json' with { type: 'json' };

describe('settings', () => {
  it('documents its defaults', () => {
    const config = loadLocalConfig({});
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '.hookpost',
      adminKey: undefined,
      attemptTimeoutMs: 30_000,
      retentionDays: 30,
      requireKnownEventTypes: true,
      retry: { ladderSeconds: [5, 300, 1800, 7200, 18000, 36000], timeScale: 1 },
      userAgent: `Hookpost/${packageJson.version}`,
    });
  });

  it('reads the ladder and the time scale', () => {
    const config = loadRuntimeConfig({ HOOKPOST_RETRY_LADDER: '1, 2,3', HOOKPOST_TIME_SCALE: '0.001' });
    expect(config.retry).toMatchObject({ ladderSeconds: [1, 2, 3], timeScale: 0.001 });
  });

  it.each([
    { HOOKPOST_TIME_SCALE: '0' },
    { HOOKPOST_TIME_SCALE: 'fast' },
    { HOOKPOST_RETRY_LADDER: '5,abc' },
    { HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES: 'yes' },
    { PORT: '70000' },
    { HOOKPOST_ADMIN_KEY: 'short' },
  ])('fails fast on %j', (env) => {
    expect(() => loadLocalConfig(env)).toThrow(ConfigError);
  });
});
