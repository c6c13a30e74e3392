/**
 * `npm run bench:bundles`: each function's bundle as `cdk synth` builds it, its size against
 * its budget (lib/hookpost-function.ts), and its module init time: how long a fresh Node
 * process takes to import it (evaluate every module in it, create the AWS clients, read
 * the settings), the part of a cold start that is the code's. The median of several fresh
 * processes, each importing once; settings are placeholders of the right form, and nothing
 * is called.
 * Usage: npm run bench:bundles -- [runs=9]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHookpostApp } from '../bin/app';
import {
  encodeSetting,
  type FunctionName,
  type SettingName,
  settingNamesOf,
} from '../lambdas/contract/settings';
import { BUNDLE_BUDGET_BYTES } from '../lib/hookpost-function';
import { cdkJsonContext } from '../test/support/cdk-context';
import { functionsByEntry, type TemplateJson } from '../test/support/template';

const RUNS = Number(process.argv[2] ?? 9);
const ARN = 'arn:aws:sqs:us-east-1:123456789012:hookpost-delivery';

/** A value of the right form for every setting, as the stack would set it. */
const PLACEHOLDERS: { readonly [Name in SettingName]: readonly [string, string] } = {
  catalogTable: encodeSetting('catalogTable', 'hookpost-catalog'),
  messagesTable: encodeSetting('messagesTable', 'hookpost-messages'),
  deliveriesTable: encodeSetting('deliveriesTable', 'hookpost-deliveries'),
  deliveryQueueUrl: encodeSetting(
    'deliveryQueueUrl',
    'https://sqs.us-east-1.amazonaws.com/123456789012/hookpost-delivery',
  ),
  deliveryQueueArn: encodeSetting('deliveryQueueArn', ARN),
  retryScheduleGroup: encodeSetting('retryScheduleGroup', 'hookpost-retries'),
  schedulerRoleArn: encodeSetting('schedulerRoleArn', ARN),
  schedulerDeadLetterQueueArn: encodeSetting('schedulerDeadLetterQueueArn', ARN),
  adminKeySecretArn: encodeSetting('adminKeySecretArn', ARN),
  metricNamespace: encodeSetting('metricNamespace', 'Hookpost'),
  retryLadderSeconds: encodeSetting('retryLadderSeconds', [5, 300, 1_800]),
  attemptTimeoutMs: encodeSetting('attemptTimeoutMs', 30_000),
  autoDisableAfterDays: encodeSetting('autoDisableAfterDays', 5),
  retentionDays: encodeSetting('retentionDays', 30),
  requireKnownEventTypes: encodeSetting('requireKnownEventTypes', true),
  egressIps: encodeSetting('egressIps', ['203.0.113.10', '203.0.113.11']),
  logLevel: encodeSetting('logLevel', 'info'),
};

/** Imports the bundle once in a fresh process and answers how long the import took, in ms. */
function initMs(bundle: string, fn: FunctionName): number {
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example',
    AWS_SESSION_TOKEN: 'example',
    ...Object.fromEntries(settingNamesOf(fn).map((name) => PLACEHOLDERS[name])),
  };
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }),
  );
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const assemblyDir = mkdtempSync(join(tmpdir(), 'hookpost-bundles-'));
try {
  const { app, stack } = createHookpostApp({ outdir: assemblyDir, context: cdkJsonContext() });
  app.synth();
  const template = JSON.parse(
    readFileSync(join(assemblyDir, `${stack.stackName}.template.json`), 'utf8'),
  ) as TemplateJson;
  const functions = functionsByEntry(template);
  console.log(
    `Bundles as cdk synth builds them; init: median of ${RUNS} fresh imports (node ${process.version})\n`,
  );
  console.log('function     bytes    budget   init ms  memory MB');
  for (const fn of Object.keys(BUNDLE_BUDGET_BYTES) as FunctionName[]) {
    const resource = functions[fn];
    const asset = String(resource?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const bundle = join(assemblyDir, `asset.${asset}`, 'index.mjs');
    const bytes = statSync(bundle).size;
    const times = Array.from({ length: RUNS }, () => initMs(bundle, fn));
    console.log(
      [
        fn.padEnd(10),
        String(bytes).padStart(9),
        String(BUNDLE_BUDGET_BYTES[fn]).padStart(9),
        median(times).toFixed(1).padStart(9),
        String(resource?.Properties.MemorySize ?? '').padStart(10),
      ].join(' '),
    );
  }
} finally {
  rmSync(assemblyDir, { recursive: true, force: true });
}
