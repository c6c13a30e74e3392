/**
 * `npm run bench:cost`: what a million deliveries cost on AWS, measured. The synthesized
 * stack runs as deployed (test/support/deployed: the bundles in their own processes with
 * the template's environment, API Gateway, the event source mappings, DynamoDB Local, the
 * SQS emulator), and every AWS request the functions and their event source mappings make
 * is counted at the stand-ins, with the DynamoDB capacity it consumed, the SQS chunks it is
 * billed as, the log bytes the functions wrote, the bytes on the wire to the receiver (TLS
 * included: what the NAT gateways process) and the functions' billed milliseconds. The
 * counts are multiplied by bench/prices.ts.
 *
 * Request counts, capacity units, bytes on the wire and bytes stored (items and index
 * entries, by DynamoDB's size rules: test/support/deployed/stored-bytes.ts) are what AWS
 * would count. Durations are this machine's, against emulators; API Gateway's access log
 * lines and Lambda's platform log records are estimates (each named where it is made).
 *
 * Usage: npm run bench:cost -- [messages per scenario, default 200]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHookpostApp } from '../bin/app';
import { SETTING_DEFAULTS, SETTINGS } from '../lambdas/contract/settings';
import { cdkJsonContext } from '../test/support/cdk-context';
import { certificateFor } from '../test/support/deployed/certificates';
import { DeployedStack } from '../test/support/deployed/deployed-stack';
import { type MeteredCall, RequestMeter } from '../test/support/deployed/request-meter';
import { storedBytes } from '../test/support/deployed/stored-bytes';
import { anInvoicePayload } from '../test/support/fixtures';
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF } from './prices';

const MESSAGES = Number(process.argv[2] ?? 200);
if (!Number.isInteger(MESSAGES) || MESSAGES <= 0 || MESSAGES % 5 !== 0) {
  throw new Error(
    'The count of deliveries per scenario is a positive multiple of 5 (the fan-out scenario has 5 endpoints).',
  );
}
/** A scenario whose deliveries have not all arrived by then has gone wrong: stop rather than wait forever. */
const DELIVERY_TIMEOUT_MS = 180_000;
const RECEIVER_HOST = 'receiver.hookpost.test';
const RECEIVER_ADDRESS = '11.22.33.44';
/** CloudWatch Logs bills each event's bytes plus 26 bytes of overhead. */
const LOG_EVENT_OVERHEAD_BYTES = 26;
/**
 * API Gateway's access log line per request (JSON with standard fields, as lib/api.ts
 * configures it): the emulated API writes none, so this is its typical size, an estimate.
 */
const ACCESS_LOG_LINE_BYTES = 330;
/**
 * Lambda's own records per invocation in JSON log format (platform.start and
 * platform.report), which the emulated runtime does not write: their typical size, an
 * estimate. Written only by a function whose system log level is INFO or DEBUG (the
 * template's LoggingConfig.SystemLogLevel; lib/hookpost-function.ts sets WARN).
 */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 450;
/** DynamoDB's point-in-time recovery (on for every table, lib/storage.ts), per GB-month. */
const PITR_GB_MONTH = 0.2;

interface Scenario {
  readonly name: string;
  /** Deliveries the scenario makes (messages × matching endpoints). */
  readonly deliveries: number;
  run(context: ScenarioContext): Promise<void>;
}

interface ScenarioContext {
  /** An API call, counted as an API Gateway request. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  newApp(endpoints: number, kind?: 'push' | 'poll'): Promise<{ appId: string; endpointIds: string[] }>;
  /** How the receiver answers each attempt of a webhook id: its status. */
  setReply(reply: (webhookId: string, attempt: number) => number): void;
  /** Resolves when the receiver has had this many 2xx answers since the scenario's app was made. */
  delivered(count: number): Promise<void>;
}

const scenarios: readonly Scenario[] = [
  {
    name: 'first try, batch ingest',
    deliveries: MESSAGES,
    async run(context) {
      const { appId } = await context.newApp(1);
      await sendInBatches(context, appId, MESSAGES, 'batch');
      await context.delivered(MESSAGES);
    },
  },
  {
    name: 'first try, single ingest',
    deliveries: MESSAGES,
    async run(context) {
      const { appId } = await context.newApp(1);
      await sendOneByOne(context, appId, MESSAGES, 'single');
      await context.delivered(MESSAGES);
    },
  },
  {
    name: 'one retry, single ingest',
    deliveries: MESSAGES,
    async run(context) {
      const { appId } = await context.newApp(1);
      context.setReply((_, attempt) => (attempt === 1 ? 503 : 200));
      await sendOneByOne(context, appId, MESSAGES, 'retry');
      await context.delivered(MESSAGES);
    },
  },
  {
    name: 'fan-out to 5 endpoints, batch ingest',
    deliveries: MESSAGES,
    async run(context) {
      const { appId } = await context.newApp(5);
      await sendInBatches(context, appId, MESSAGES / 5, 'fan');
      await context.delivered(MESSAGES);
    },
  },
  {
    name: 'poll endpoint, batch ingest, receive + delete',
    deliveries: MESSAGES,
    async run(context) {
      const { appId, endpointIds } = await context.newApp(1, 'poll');
      const notifications = `/v1/apps/${appId}/endpoints/${endpointIds[0]}/notifications`;
      await sendInBatches(context, appId, MESSAGES, 'poll');
      let pulled = 0;
      while (pulled < MESSAGES) {
        const received = await context.call('POST', `${notifications}/receive?wait=5`);
        if (received.status !== 200) throw new Error(`receive answered ${received.status}`);
        await context.call('DELETE', `${notifications}/${received.body.receiptId}`);
        pulled += 1;
      }
    },
  },
];

/** `count` messages with eventIds `<prefix>-<n>`, up to 100 to a batch call. */
async function sendInBatches(context: ScenarioContext, appId: string, count: number, prefix: string) {
  for (let start = 0; start < count; start += 100) {
    const messages = Array.from({ length: Math.min(100, count - start) }, (_, index) => ({
      eventType: 'invoice.paid',
      eventId: `${prefix}-${start + index}`,
      payload: anInvoicePayload(start + index),
    }));
    await context.call('POST', `/v1/apps/${appId}/messages/batch`, { messages });
  }
}

/** `count` messages with eventIds `<prefix>-<n>`, one call each, eight callers at once. */
async function sendOneByOne(context: ScenarioContext, appId: string, count: number, prefix: string) {
  await inParallel(count, 8, (index) =>
    context.call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.paid',
      eventId: `${prefix}-${index}`,
      payload: anInvoicePayload(index),
    }),
  );
}

async function inParallel(count: number, width: number, task: (index: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

// --- the stack, the receiver ---------------------------------------------------------------

const assemblyDir = mkdtempSync(join(tmpdir(), 'hookpost-cost-'));
const { app, stack: stackDefinition } = createHookpostApp({ outdir: assemblyDir, context: cdkJsonContext() });
app.synth();
const certificate = await certificateFor(RECEIVER_HOST);
const caFile = join(assemblyDir, 'receiver-ca.pem');
writeFileSync(caFile, certificate.cert);

let reply: (webhookId: string, attempt: number) => number = () => 200;
const attemptsById = new Map<string, number>();
let succeeded = 0;
/** Bytes on the receiver's connections, both ways (NAT processing), and those sent to it (transfer out). */
let wireBytes = 0;
let sentBytes = 0;
let waiters: (() => void)[] = [];
const receiver = https.createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
  request.resume();
  request.on('end', () => {
    const id = String(request.headers['webhook-id']);
    const attempt = (attemptsById.get(id) ?? 0) + 1;
    attemptsById.set(id, attempt);
    const status = reply(id, attempt);
    if (status < 300) succeeded += 1;
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(status < 300 ? 'ok' : 'not now');
    for (const wake of waiters) wake();
  });
});
// Every byte on the connections, TLS records included: what a NAT gateway processes.
receiver.on('connection', (socket: Socket) => {
  socket.on('close', () => {
    wireBytes += socket.bytesRead + socket.bytesWritten;
    sentBytes += socket.bytesRead;
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverPort = (receiver.address() as AddressInfo).port;

const meter = new RequestMeter();
const stack = await DeployedStack.deploy({
  assemblyDir,
  stackName: stackDefinition.stackName,
  timeScale: 1 / 300,
  network: { hosts: { [RECEIVER_HOST]: RECEIVER_ADDRESS }, redirects: { [RECEIVER_ADDRESS]: '127.0.0.1' } },
  extraCaFile: caFile,
  meter,
});
const adminKey = stack.secrets.value(stack.output('AdminKeySecretArn'));
let apiRequests = 0;

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  apiRequests += 1;
  const response = await fetch(new URL(path.replace(/^\//, ''), stack.apiUrl), {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

await call('POST', '/v1/event-types', { name: 'invoice.paid' });
const retentionDays = Number(
  stack.functions.api?.deployment.environment[SETTINGS.retentionDays.env] ?? SETTING_DEFAULTS.retentionDays,
);
const retentionMonths = retentionDays / (HOURS_PER_MONTH / 24);

const functions = Object.entries(stack.functions).map(([name, fn]) => ({
  name,
  fn,
  memoryMb: Number(stack.template.Resources[fn?.deployment.logicalId ?? '']?.Properties?.MemorySize ?? 128),
  arm: JSON.stringify(
    stack.template.Resources[fn?.deployment.logicalId ?? '']?.Properties?.Architectures ?? [],
  ).includes('arm64'),
  writesPlatformRecords:
    (stack.template.Resources[fn?.deployment.logicalId ?? '']?.Properties?.LoggingConfig?.SystemLogLevel ??
      'INFO') !== 'WARN',
}));

/** The stack's tables by physical name, with their definitions (what their indexes copy). */
const tables = Object.entries(stack.template.Resources)
  .filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table')
  .map(([logicalId, resource]) => ({
    name: String(stack.resolver.resolve({ Ref: logicalId })),
    properties: resource.Properties,
  }));

// --- measuring ----------------------------------------------------------------------------

interface Snapshot {
  readonly calls: number;
  readonly apiRequests: number;
  readonly succeeded: number;
  readonly wireBytes: number;
  readonly sentBytes: number;
  readonly schedules: number;
  readonly functions: Readonly<Record<string, { invocations: number; billedMs: number; logLines: number }>>;
  /** What the tables hold, as DynamoDB bills storage (test/support/deployed/stored-bytes.ts). */
  readonly storedBytes: number;
}

async function snapshot(): Promise<Snapshot> {
  return {
    storedBytes: await storedBytes(stack.dynamodb, tables),
    calls: meter.calls.length,
    apiRequests,
    succeeded,
    wireBytes,
    sentBytes,
    schedules: stack.scheduler.schedules.length,
    functions: Object.fromEntries(
      functions.map(({ name, fn }) => [
        name,
        { invocations: fn?.invocations ?? 0, billedMs: fn?.billedMs ?? 0, logLines: fn?.logs.length ?? 0 },
      ]),
    ),
  };
}

/** Billable work under way: anything but an idle long poll (an empty receive, an empty stream read). */
const isWork = (call: MeteredCall) =>
  call.service !== 'dynamodb-streams' && !(call.operation === 'ReceiveMessage' && call.received === 0);

/** Waits until no billable call has been made for `quietMs`: the pipeline has settled. */
async function settled(quietMs = 2000): Promise<void> {
  let seen = meter.calls.filter(isWork).length;
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = meter.calls.filter(isWork).length;
    if (now !== seen) {
      seen = now;
      quietSince = Date.now();
    }
  }
  receiver.closeAllConnections();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Where the scenario under way began: after its app and endpoints were made (their cost is not a delivery's). */
let before: Snapshot | undefined;

const context: ScenarioContext = {
  call,
  async newApp(endpoints, kind = 'push') {
    const created = await call('POST', '/v1/apps', { name: 'Cost bench' });
    const endpointIds: string[] = [];
    for (let index = 0; index < endpoints; index += 1) {
      const endpoint = await call(
        'POST',
        `/v1/apps/${created.body.id}/endpoints`,
        kind === 'poll'
          ? { kind: 'poll' }
          : { url: `https://${RECEIVER_HOST}:${receiverPort}/hooks/${index}` },
      );
      endpointIds.push(endpoint.body.id);
    }
    await settled(500);
    before = await snapshot();
    return { appId: created.body.id, endpointIds };
  },
  setReply(next) {
    reply = next;
  },
  async delivered(count) {
    const target = (before?.succeeded ?? succeeded) + count;
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    while (succeeded < target) {
      if (Date.now() > deadline) throw new Error(`${target - succeeded} deliveries never arrived`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 500);
      });
      waiters = [];
    }
  },
};

interface Measured {
  readonly scenario: string;
  readonly perDelivery: Readonly<Record<string, number>>;
  readonly dollarsPerMillion: Readonly<Record<string, number>>;
  readonly total: number;
}

const results: Measured[] = [];
for (const scenario of scenarios) {
  await settled();
  reply = () => 200;
  before = undefined;
  await scenario.run(context);
  await settled();
  if (before === undefined) throw new Error(`${scenario.name} made no app`);
  results.push(measure(scenario, before, await snapshot()));
}

/** A table's role in the stack, from its physical name (the template's logical id is in it). */
function tableOf(physicalName: string): string {
  return (
    /catalog|messages|deliveries|localjobs|delivery|dlq/i.exec(physicalName)?.[0].toLowerCase() ??
    physicalName
  );
}

function measure(scenario: Scenario, before: Snapshot, after: Snapshot): Measured {
  const per = (value: number) => value / scenario.deliveries;
  const calls = meter.since(before.calls).slice(0, after.calls - before.calls);
  const perDelivery: Record<string, number> = {};
  const add = (key: string, value: number) => {
    perDelivery[key] = (perDelivery[key] ?? 0) + per(value);
  };
  const billed = calls.filter(isWork);
  for (const call of billed) {
    const target = tableOf(call.target);
    add(`${call.service} ${call.operation} ${target}`, call.billedRequests);
    if (call.writeUnits > 0) add(`  write units: ${call.operation} ${target}`, call.writeUnits);
    if (call.readUnits > 0) add(`  read units: ${call.operation} ${target}`, call.readUnits);
  }
  const readUnits = calls.reduce((sum, call) => sum + call.readUnits, 0);
  const writeUnits = calls.reduce((sum, call) => sum + call.writeUnits, 0);
  const sqsRequests = billed
    .filter((call) => call.service === 'sqs')
    .reduce((sum, call) => sum + call.billedRequests, 0);
  const stored = after.storedBytes - before.storedBytes;
  const apiCalls = after.apiRequests - before.apiRequests;
  let invocations = 0;
  let gbSeconds = 0;
  let armGbSeconds = 0;
  let logBytes = 0;
  let platformRecordInvocations = 0;
  for (const { name, fn, memoryMb, arm, writesPlatformRecords } of functions) {
    const was = before.functions[name];
    const is = after.functions[name];
    if (fn === undefined || was === undefined || is === undefined) continue;
    invocations += is.invocations - was.invocations;
    if (writesPlatformRecords) platformRecordInvocations += is.invocations - was.invocations;
    const seconds = ((is.billedMs - was.billedMs) / 1000) * (memoryMb / 1024);
    if (arm) armGbSeconds += seconds;
    else gbSeconds += seconds;
    for (const line of fn.logs.slice(was.logLines, is.logLines)) {
      logBytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
    }
    add(`lambda ${name} invocations`, is.invocations - was.invocations);
    add(`lambda ${name} billed ms`, is.billedMs - was.billedMs);
  }
  logBytes += apiCalls * (ACCESS_LOG_LINE_BYTES + LOG_EVENT_OVERHEAD_BYTES);
  logBytes += platformRecordInvocations * (PLATFORM_LOG_BYTES_PER_INVOCATION + 2 * LOG_EVENT_OVERHEAD_BYTES);
  const wire = after.wireBytes - before.wireBytes;
  const sent = after.sentBytes - before.sentBytes;
  const schedules = after.schedules - before.schedules;
  add('api gateway requests', apiCalls);
  add('dynamodb read units', readUnits);
  add('dynamodb write units', writeUnits);
  add('log bytes', logBytes);
  add('receiver wire bytes (both ways)', wire);
  add('bytes sent to the receiver', sent);
  add('stored bytes (items and index entries)', stored);
  add('scheduler invocations', schedules);
  const GB = 1024 ** 3;
  const million = 1_000_000;
  const dollars = {
    'API Gateway': per(apiCalls) * PRICES.apiGateway.restRequestsPerMillion,
    'Lambda requests': per(invocations) * PRICES.lambda.requestsPerMillion,
    'Lambda duration':
      per(gbSeconds) * million * PRICES.lambda.x86GbSecond +
      per(armGbSeconds) * million * PRICES.lambda.arm64GbSecond,
    'DynamoDB writes': per(writeUnits) * PRICES.dynamodb.writeRequestUnitsPerMillion,
    'DynamoDB reads': per(readUnits) * PRICES.dynamodb.readRequestUnitsPerMillion,
    SQS: per(sqsRequests) * PRICES.sqs.requestsPerMillion,
    Scheduler: per(schedules) * PRICES.scheduler.invocationsPerMillion,
    'CloudWatch Logs': ((per(logBytes) * million) / GB) * PRICES.logs.ingestionGb,
    'NAT processing': ((per(wire) * million) / GB) * PRICES.network.natGatewayGb,
    'Transfer out': ((per(sent) * million) / GB) * PRICES.network.transferOutGb,
    // Kept for the retention, with point-in-time recovery on every table.
    'DynamoDB storage':
      ((per(stored) * million) / GB) * retentionMonths * (PRICES.dynamodb.storageGbMonth + PITR_GB_MONTH),
  };
  const total = Object.values(dollars).reduce((sum, value) => sum + value, 0);
  return { scenario: scenario.name, perDelivery, dollarsPerMillion: dollars, total };
}

// --- the fixed floor ------------------------------------------------------------------------

const resources = Object.values(stack.template.Resources);
const countOf = (type: string) => resources.filter((resource) => resource.Type === type).length;
const natGateways = countOf('AWS::EC2::NatGateway');
const elasticIps = countOf('AWS::EC2::EIP');
const floor = {
  [`NAT gateways (${natGateways})`]: natGateways * PRICES.network.natGatewayHour * HOURS_PER_MONTH,
  [`Elastic IPs (${elasticIps})`]: elasticIps * PRICES.network.publicIpv4Hour * HOURS_PER_MONTH,
  [`alarms (${countOf('AWS::CloudWatch::Alarm')})`]:
    countOf('AWS::CloudWatch::Alarm') * PRICES.cloudwatch.alarmMonth,
  [`dashboards (${countOf('AWS::CloudWatch::Dashboard')})`]:
    countOf('AWS::CloudWatch::Dashboard') * PRICES.cloudwatch.dashboardMonth,
  [`KMS keys (${countOf('AWS::KMS::Key')})`]: countOf('AWS::KMS::Key') * PRICES.kms.keyMonth,
  [`secrets (${countOf('AWS::SecretsManager::Secret')})`]:
    countOf('AWS::SecretsManager::Secret') * PRICES.secretsManager.secretMonth,
};
const floorTotal = Object.values(floor).reduce((sum, value) => sum + value, 0);

// --- the report -----------------------------------------------------------------------------

const money = (value: number) => `$${value.toFixed(value < 1 ? 3 : 2)}`;
console.log(`\nCost per million deliveries, us-east-1 prices of ${PRICES_AS_OF} (bench/prices.ts)`);
console.log(
  `${MESSAGES} deliveries per scenario, 1 KiB JSON invoices (test/support/fixtures.ts, anInvoicePayload), on-demand DynamoDB\n`,
);
for (const result of results) {
  console.log(`${result.scenario}: ${money(result.total)} per million`);
  for (const [item, value] of Object.entries(result.dollarsPerMillion)) {
    if (value > 0) console.log(`  ${item.padEnd(18)} ${money(value)}`);
  }
  console.log('  per delivery:');
  for (const [item, value] of Object.entries(result.perDelivery).sort()) {
    console.log(`    ${item.padEnd(44)} ${value.toFixed(2)}`);
  }
}
console.log('\nPeak memory of each function over all scenarios (what Lambda reports as Max Memory Used):');
for (const { name, fn, memoryMb } of functions) {
  console.log(`  ${name.padEnd(12)} ${String(fn?.peakMemoryMb ?? 0).padStart(4)} MB of ${memoryMb} MB`);
}
console.log(`\nFixed floor per month: ${money(floorTotal)}`);
for (const [item, value] of Object.entries(floor)) console.log(`  ${item.padEnd(24)} ${money(value)}`);
console.log(
  '  (plus custom metrics at $0.30 each a month and idle queue polling, a few cents: see README "Performance and cost")',
);

await stack.stop();
await new Promise((resolve) => receiver.close(resolve));
rmSync(assemblyDir, { recursive: true, force: true });
