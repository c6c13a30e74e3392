import { describe, expect, it } from 'vitest';
import { ConfigError, loadFunctionConfig, loadLocalConfig, USER_AGENT } from '../../lambdas/config';
import {
  FUNCTION_NAMES,
  retryLadderProblems,
  SETTINGS,
  type SettingName,
  settingNamesOf,
} from '../../lambdas/contract/settings';
import packageJson from '../../package.json' with { type: 'json' };

/** A value of the right shape for every setting, as a stack would write it. */
const SAMPLE_ENV: Readonly<Record<SettingName, string>> = {
  catalogTable: 'Hookpost-CatalogTable-1A2B3C',
  messagesTable: 'Hookpost-MessagesTable-1A2B3C',
  deliveriesTable: 'Hookpost-DeliveriesTable-1A2B3C',
  deliveryQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Hookpost-Queue',
  deliveryQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:Hookpost-Queue',
  retryScheduleGroup: 'Hookpost-RetrySchedules-1A2B3C',
  schedulerRoleArn: 'arn:aws:iam::123456789012:role/Hookpost-SchedulerRole',
  schedulerDeadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:Hookpost-SchedulerDlq',
  adminKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AdminKey-AbCdEf',
  metricNamespace: 'Hookpost/Hookpost',
  retryLadderSeconds: '5,300,1800',
  attemptTimeoutMs: '15000',
  autoDisableAfterDays: '5',
  retentionDays: '30',
  requireKnownEventTypes: 'false',
  egressIps: '203.0.113.7,198.51.100.9',
  logLevel: 'warn',
};

const envOf = (names: readonly SettingName[]) =>
  Object.fromEntries(names.map((name) => [SETTINGS[name].env, SAMPLE_ENV[name]]));

describe('local settings', () => {
  it('documents its defaults', () => {
    const config = loadLocalConfig({});
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '.hookpost',
      adminKey: undefined,
      tablePrefix: 'hookpost',
      attemptTimeoutMs: 30_000,
      retentionDays: 30,
      requireKnownEventTypes: true,
      logLevel: 'info',
      retry: { ladderSeconds: [5, 300, 1800, 7200, 18000, 36000], jitterRatio: 0.1, timeScale: 1 },
    });
    expect(USER_AGENT).toBe(`Hookpost/${packageJson.version}`);
  });

  it('reads the ladder and the time scale', () => {
    const config = loadLocalConfig({ HOOKPOST_RETRY_LADDER: '1, 2,3', HOOKPOST_TIME_SCALE: '0.001' });
    expect(config.retry).toMatchObject({ ladderSeconds: [1, 2, 3], timeScale: 0.001 });
  });

  it.each([
    { HOOKPOST_TIME_SCALE: '0' },
    { HOOKPOST_TIME_SCALE: 'fast' },
    { HOOKPOST_RETRY_LADDER: '5,abc' },
    { HOOKPOST_RETRY_LADDER: '0,5' },
    { HOOKPOST_RETRY_LADDER: '86400', HOOKPOST_RETENTION_DAYS: '1' },
    { HOOKPOST_ATTEMPT_TIMEOUT_MS: '0' },
    { HOOKPOST_ATTEMPT_TIMEOUT_MS: '600000' },
    { HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES: 'yes' },
    { HOOKPOST_LOG_LEVEL: 'loud' },
    { PORT: '70000' },
    { HOOKPOST_ADMIN_KEY: 'short' },
    { HOOKPOST_ADMIN_KEY: 'hpk_app_looks_like_an_application_key' },
    { HOOKPOST_ADMIN_KEY: 'has a space in the middle' },
  ])('fails fast on %j', (env) => {
    expect(() => loadLocalConfig(env)).toThrow(ConfigError);
  });
});

describe('function settings', () => {
  it.each(FUNCTION_NAMES)('%s reads exactly the settings the contract lists for it', (fn) => {
    const names = settingNamesOf(fn);
    const config = loadFunctionConfig(fn, envOf(names));
    expect(Object.keys(config).sort()).toEqual([...names].sort());
  });

  it.each(FUNCTION_NAMES.flatMap((fn) => settingNamesOf(fn).map((name) => [fn, name] as const)))(
    '%s refuses to start without %s, naming its variable',
    (fn, missing) => {
      const env = envOf(settingNamesOf(fn).filter((name) => name !== missing));
      expect(() => loadFunctionConfig(fn, env)).toThrow(SETTINGS[missing].env);
    },
  );

  it('refuses a deployed attempt timeout under a second, which local mode takes', () => {
    const env = { ...envOf(settingNamesOf('delivery')), [SETTINGS.attemptTimeoutMs.env]: '500' };
    expect(() => loadFunctionConfig('delivery', env)).toThrow(SETTINGS.attemptTimeoutMs.env);
    expect(loadLocalConfig({ [SETTINGS.attemptTimeoutMs.env]: '500' }).attemptTimeoutMs).toBe(500);
  });

  it('reads the delivery settings as the stack wrote them', () => {
    const config = loadFunctionConfig('delivery', envOf(settingNamesOf('delivery')));
    expect(config).toMatchObject({
      retryLadderSeconds: [5, 300, 1800],
      attemptTimeoutMs: 15_000,
      logLevel: 'warn',
    });
  });

  it('gives the authorizer its secret and the table its application keys live in, nothing else', () => {
    expect(settingNamesOf('authorizer').sort()).toEqual(['adminKeySecretArn', 'catalogTable']);
  });
});

describe('retry ladder rules', () => {
  it.each([
    [[5, 300, 1800, 7200, 18000, 36000], 30, []],
    [[], 30, ['at least one delay']],
    [[5, 0.5], 30, ['whole seconds']],
    [Array.from({ length: 51 }, () => 1), 30, ['at most 50']],
    [[86_400], 1, ['longer than the 1-day retention']],
  ] as const)('%j with %i days of retention: %j', (ladder, retentionDays, expected) => {
    const problems = retryLadderProblems(ladder, retentionDays);
    expect(problems).toHaveLength(expected.length);
    for (const [index, fragment] of expected.entries()) expect(problems[index]).toContain(fragment);
  });
});
