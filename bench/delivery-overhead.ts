/**
 * `npm run bench:delivery`: what the delivery function costs over the POST it makes (the
 * goal: at most 20 % over a bare POST loop), in one process and one run, to one receiver
 * on 127.0.0.1:
 *   (a) a bare POST loop: the 1 KiB JSON invoices (test/support/fixtures.ts) POSTed with
 *       node:http and a keep-alive agent, DELIVERY_BATCH_SIZE at once and batch after
 *       batch: the concurrency one container of the delivery function has (it takes one SQS
 *       batch at a time, every record of it at once: lambdas/contract/queues.ts,
 *       lambdas/handlers/delivery.ts);
 *   (b) the delivery function as deployed (lambdas/handlers/aws/delivery-function.ts: the
 *       DynamoDB stores, the SQS queue, the Scheduler, the guarded sender, Powertools logger
 *       and metrics), given SQS events of DELIVERY_BATCH_SIZE first-attempt tasks as fan-out
 *       makes them (the message carried in the task), one event after another, for messages
 *       and deliveries stored before the clock starts.
 * Then both again with `containers` of each side by side. Each path is warmed up first,
 * with 1,000 deliveries unless told: after only 100, a later window of the same container
 * of (b) still took a fifth less CPU per delivery in one run, the profiler running.
 *
 * Printed for each: deliveries/s and ms per delivery (wall clock), the CPU of this process
 * per delivery (process.cpuUsage(), every thread; the receiver runs in this process, so its
 * share is in both), and the overhead (b)/(a) − 1 of both; the AWS requests (b) made per
 * delivery, by service and operation, with their mean latency.
 *
 * DynamoDB is AWS's DynamoDB Local (test/support/dynamodb.ts), in a Java process of its own:
 * its CPU is not this process's, but it shares the machine's cores, and its latency is in
 * (b)'s wall clock. SQS is fauxqs in this process (test/support/queues.ts); a first try
 * that succeeds never calls it, nor the Scheduler, whose client refuses every call here
 * (there is no Scheduler emulator) and would show it in the request counts. What the
 * function writes to stdout (a metrics document per batch, log lines) is counted rather
 * than shown. The guarded sender admits loopback, as local mode's does; deployed, it
 * refuses it. Nothing connects anywhere but 127.0.0.1.
 *
 * `--cpu-prof` then takes a CPU profile (node:inspector) of one more window of (b) and
 * prints its self time by package, by caller (node's own code counted for the package
 * that called it; what the event loop runs by itself, such as most socket reads and
 * writes, apart), and by file. The profiler slows that window down, so read the figures
 * above it, not from it. A sample's time is wall time: on a busy machine, time the
 * thread waited for a core counts too.
 *
 * Usage: npm run bench:delivery -- [deliveries=2000] [warmUp=1000] [containers=4] [--cpu-prof]
 */

import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  AwsClient,
  AwsJsonClient,
  type AwsTransport,
  httpTransport,
  SCHEDULER,
  SQS,
} from '../lambdas/adapters/aws/json-protocol/aws-json-client';
import { localStoreEnvironment } from '../lambdas/adapters/dynamo/client';
import { createDocuments } from '../lambdas/adapters/dynamo/documents';
import { createDynamoStores } from '../lambdas/adapters/dynamo/stores';
import { LoggedMetrics } from '../lambdas/adapters/local/logged-metrics';
import { DELIVERY_BATCH_SIZE, FAN_OUT_BATCH_SIZE } from '../lambdas/contract/queues';
import { SETTING_DEFAULTS, type SettingsOf } from '../lambdas/contract/settings';
import type { DeliveryTask, Message } from '../lambdas/core/model';
import { createEndpointSchema } from '../lambdas/core/schemas';
import { LOCAL_URL_POLICY } from '../lambdas/core/url-guard';
import { createDeliveryFunction } from '../lambdas/handlers/aws/delivery-function';
import type { DeliveryHandler } from '../lambdas/handlers/delivery';
import { createJsonLogger } from '../lambdas/logger';
import { systemClock } from '../lambdas/ports';
import { createApiServices, createFanOutService } from '../lambdas/services';
import { freshTables, startDynamoDbLocal } from '../test/support/dynamodb';
import { anInvoicePayload } from '../test/support/fixtures';
import { fauxqsEnvironment, startFauxqs } from '../test/support/queues';
import { operationOf } from '../test/support/scripted-aws';
import { cpuMsSince, post, Receiver } from './loopback-http';

const flags = process.argv.slice(2).filter((argument) => argument.startsWith('--'));
const [deliveriesArg, warmUpArg, containersArg] = process.argv
  .slice(2)
  .filter((argument) => !argument.startsWith('--'));
const DELIVERIES = Number(deliveriesArg ?? 2000);
const WARM_UP = Number(warmUpArg ?? 1000);
const CONTAINERS = Number(containersArg ?? 4);
const PROFILE = flags.includes('--cpu-prof');
const unknownFlags = flags.filter((flag) => flag !== '--cpu-prof');
if (unknownFlags.length > 0) throw new Error(`Unknown option ${unknownFlags.join(', ')}.`);
if (!Number.isInteger(CONTAINERS) || CONTAINERS < 1) throw new Error('containers is a whole number from 1.');
for (const [name, count, unit] of [
  ['deliveries', DELIVERIES, DELIVERY_BATCH_SIZE * CONTAINERS],
  ['warmUp', WARM_UP, DELIVERY_BATCH_SIZE],
] as const) {
  if (!Number.isInteger(count) || count <= 0 || count % unit !== 0) {
    throw new Error(
      `${name} is a positive multiple of ${unit} (batches of ${DELIVERY_BATCH_SIZE}, split evenly).`,
    );
  }
}

/** Each extra container's warm-up: its own clients and module state (the code is warm already). */
const CONTAINER_WARM_UP_BATCHES = 2;
const EVENT_TYPE = 'invoice.paid';
const ACCOUNT = '123456789012';
const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------
// AWS requests, counted as they go on the wire (each HTTP attempt, retries included).

interface RequestTally {
  count: number;
  totalMs: number;
}
const awsRequests = new Map<string, RequestTally>();

/** A transport that counts and times each request on the wire (retries included) under `<service> <operation>`. */
function countingTransport(service: string, send: AwsTransport['send']): AwsTransport {
  return {
    async send(request, timeoutMs) {
      const started = performance.now();
      try {
        return await send(request, timeoutMs);
      } finally {
        const key = `${service} ${operationOf(request)}`;
        const tally = awsRequests.get(key) ?? { count: 0, totalMs: 0 };
        tally.count += 1;
        tally.totalMs += performance.now() - started;
        awsRequests.set(key, tally);
      }
    },
  };
}

function snapshotRequests(): Map<string, RequestTally> {
  return new Map([...awsRequests].map(([key, tally]) => [key, { ...tally }]));
}

function requestsSince(before: Map<string, RequestTally>): [string, RequestTally][] {
  return [...awsRequests]
    .map(([key, tally]): [string, RequestTally] => {
      const earlier = before.get(key) ?? { count: 0, totalMs: 0 };
      return [key, { count: tally.count - earlier.count, totalMs: tally.totalMs - earlier.totalMs }];
    })
    .filter(([, tally]) => tally.count > 0)
    .sort(([a], [b]) => a.localeCompare(b));
}

// ---------------------------------------------------------------------------------------
// The receiver, the emulators, the tables.

const receiver = new Receiver();
const receiverUrl = await receiver.listen();
const dynamo = await startDynamoDbLocal();
const fauxqs = await startFauxqs();
const { client: setUpClient, doc: setUpDoc, tables } = await freshTables(dynamo.endpoint);
const deliveryQueue = await fauxqs.createQueue(`hookpost-delivery-${randomUUID().slice(0, 8)}`);

/** The delivery function's settings as the stack would set them, with the construct's defaults. */
const config: SettingsOf<'delivery'> = {
  catalogTable: tables.catalog,
  messagesTable: tables.messages,
  deliveriesTable: tables.deliveries,
  deliveryQueueUrl: deliveryQueue.url,
  deliveryQueueArn: deliveryQueue.arn,
  retryScheduleGroup: 'hookpost-bench',
  schedulerRoleArn: `arn:aws:iam::${ACCOUNT}:role/hookpost-bench-scheduler`,
  schedulerDeadLetterQueueArn: deliveryQueue.arn,
  metricNamespace: 'Hookpost/Bench',
  retryLadderSeconds: SETTING_DEFAULTS.retryLadderSeconds,
  attemptTimeoutMs: SETTING_DEFAULTS.attemptTimeoutMs,
  autoDisableAfterDays: SETTING_DEFAULTS.autoDisableAfterDays,
  retentionDays: SETTING_DEFAULTS.retentionDays,
  logLevel: SETTING_DEFAULTS.logLevel,
};

/**
 * The emulators' environments: DynamoDB Local's tables are where freshTables made them
 * (localStoreEnvironment); the Scheduler client signs as the SQS one does, and sends nothing.
 */
const queueEnvironment = fauxqsEnvironment(fauxqs.url);

/** No emulator: refused before it is sent, and counted all the same. */
const noScheduler: AwsTransport['send'] = () =>
  Promise.reject(new Error('The benchmark has no Scheduler: a first try that succeeds schedules nothing.'));

/**
 * One container of the delivery function: its own clients and module state. The process's
 * keep-alive agent, and so its sockets, serve every container, as the global agent serves
 * every client in one container on Lambda.
 */
function newContainer(): DeliveryHandler {
  return createDeliveryFunction(
    config,
    {
      doc: createDocuments({
        environment: localStoreEnvironment(dynamo.endpoint),
        transport: countingTransport('DynamoDB', httpTransport.send),
      }),
      sqs: new AwsJsonClient(SQS, {
        environment: queueEnvironment,
        transport: countingTransport('SQS', httpTransport.send),
      }),
      scheduler: new AwsClient(SCHEDULER, {
        environment: queueEnvironment,
        transport: countingTransport('Scheduler', noScheduler),
      }),
    },
    LOCAL_URL_POLICY,
  );
}

// ---------------------------------------------------------------------------------------
// Set-up, outside every measured window: an app, one endpoint at the receiver, the
// messages accepted as the API accepts them, and fan-out's deliveries and first tasks.

const stores = createDynamoStores(setUpDoc, tables, { retentionDays: config.retentionDays });
const services = createApiServices(
  { ...stores, clock: systemClock },
  { urlPolicy: LOCAL_URL_POLICY, requireKnownEventTypes: false, egressIps: ['127.0.0.1'] },
);
const app = await services.apps.create({ name: 'Bench' });
await services.endpoints.create(app.id, createEndpointSchema.parse({ url: `${receiverUrl}/hook` }));

const tasks: DeliveryTask[] = [];
const fanOut = createFanOutService({
  ...stores,
  // Fan-out's tasks are kept here, to be handed to the function as SQS events.
  queue: { send: async (sent) => void tasks.push(...sent) },
  clock: systemClock,
  metrics: new LoggedMetrics(createJsonLogger('error', () => {})),
});
const warmUpDeliveries = WARM_UP + (CONTAINERS - 1) * CONTAINER_WARM_UP_BATCHES * DELIVERY_BATCH_SIZE;
const storedDeliveries = warmUpDeliveries + 2 * DELIVERIES + (PROFILE ? DELIVERIES : 0);
const setUpStarted = performance.now();
for (let start = 0; start < storedDeliveries; start += FAN_OUT_BATCH_SIZE) {
  const count = Math.min(FAN_OUT_BATCH_SIZE, storedDeliveries - start);
  const results = await services.messages.acceptBatch(
    app.id,
    Array.from({ length: count }, (_, offset) => ({
      eventType: EVENT_TYPE,
      payload: anInvoicePayload(start + offset),
    })),
  );
  const accepted: Message[] = results.map((result) => {
    if ('refused' in result) throw result.refused;
    return result.accepted.message;
  });
  await fanOut.fanOutAll(accepted);
}
if (tasks.length !== storedDeliveries || tasks.some((task) => task.message === undefined)) {
  throw new Error('Fan-out did not make one first-attempt task carrying its message per delivery.');
}
const setUpSeconds = (performance.now() - setUpStarted) / 1000;

/** An SQS record as the event source mapping hands it to the function. */
function sqsRecord(task: DeliveryTask): SQSRecord {
  const body = JSON.stringify(task);
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: 'AROAEXAMPLE:hookpost-fanout',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: deliveryQueue.arn,
    awsRegion: queueEnvironment.region,
  };
}

let nextTask = 0;
/** The next `deliveries` tasks, as SQS events of DELIVERY_BATCH_SIZE records. */
function takeEvents(deliveries: number): SQSEvent[] {
  const events: SQSEvent[] = [];
  for (let taken = 0; taken < deliveries; taken += DELIVERY_BATCH_SIZE) {
    events.push({ Records: tasks.slice(nextTask, nextTask + DELIVERY_BATCH_SIZE).map(sqsRecord) });
    nextTask += DELIVERY_BATCH_SIZE;
  }
  return events;
}

/** Splits `events` among `parts`, round robin. */
const dealt = <T>(items: readonly T[], parts: number): T[][] =>
  Array.from({ length: parts }, (_, part) => items.filter((_, index) => index % parts === part));

// ---------------------------------------------------------------------------------------
// The two paths.

/** (a)'s payloads, made beforehand as (b)'s are (their ids take some making). */
const payloads = Array.from({ length: DELIVERIES }, (_, n) => anInvoicePayload(n));
let bareSent = 0;
/** (a): `deliveries` POSTs through `agent`, DELIVERY_BATCH_SIZE at once, batch after batch. */
async function bareLoop(agent: http.Agent, deliveries: number): Promise<void> {
  for (let start = 0; start < deliveries; start += DELIVERY_BATCH_SIZE) {
    await Promise.all(
      Array.from({ length: Math.min(DELIVERY_BATCH_SIZE, deliveries - start) }, async () => {
        const n = bareSent++;
        // A webhook-id of its own, so the receiver does for these what it does for (b)'s.
        const { status } = await post(
          `${receiverUrl}/bare`,
          JSON.stringify(payloads[n % payloads.length]),
          { 'webhook-id': `bare_${n}` },
          agent,
        );
        if (status !== 200) throw new Error(`A bare POST was answered ${status}.`);
      }),
    );
  }
}

/** (b): each event handed to the function in turn, as one container takes one batch at a time. */
async function handlerLoop(handler: DeliveryHandler, events: readonly SQSEvent[]): Promise<void> {
  for (const event of events) {
    const { batchItemFailures } = await handler(event);
    if (batchItemFailures.length > 0) {
      throw new Error(`The function handed back ${batchItemFailures.length} records; see its log lines.`);
    }
  }
}

/** What the function wrote to stdout (metrics documents, log lines), counted instead of shown. */
const functionOutput = { bytes: 0, lines: 0 };
async function withStdoutCounted<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    functionOutput.bytes += Buffer.byteLength(text);
    functionOutput.lines += text.split('\n').length - 1;
    return true;
  }) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

interface Window {
  readonly deliveries: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function measure(deliveries: number, work: () => Promise<unknown>): Promise<Window> {
  const received = receiver.webhooks;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const window = { deliveries, wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu) };
  if (receiver.webhooks - received !== deliveries) {
    throw new Error(`The receiver got ${receiver.webhooks - received} POSTs, not ${deliveries}.`);
  }
  return window;
}

const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: DELIVERY_BATCH_SIZE });

// ---------------------------------------------------------------------------------------
// Warm-up, then the measured windows: one container, then `containers` side by side.

const bareAgents = Array.from({ length: CONTAINERS }, newAgent);
const containers = Array.from({ length: CONTAINERS }, newContainer);
const [bareAgent] = bareAgents;
const [container] = containers;
if (bareAgent === undefined || container === undefined) throw new Error('No container.');

await Promise.all(bareAgents.map((agent) => bareLoop(agent, WARM_UP)));
await withStdoutCounted(async () => {
  await handlerLoop(container, takeEvents(WARM_UP));
  for (const other of containers.slice(1)) {
    await handlerLoop(other, takeEvents(CONTAINER_WARM_UP_BATCHES * DELIVERY_BATCH_SIZE));
  }
});

const bare = await measure(DELIVERIES, () => bareLoop(bareAgent, DELIVERIES));
const headlineEvents = takeEvents(DELIVERIES);
const outputBefore = { ...functionOutput };
const requestsBefore = snapshotRequests();
const handled = await withStdoutCounted(() =>
  measure(DELIVERIES, () => handlerLoop(container, headlineEvents)),
);
const handledRequests = requestsSince(requestsBefore);
const handledOutput = {
  bytes: functionOutput.bytes - outputBefore.bytes,
  lines: functionOutput.lines - outputBefore.lines,
};

const share = DELIVERIES / CONTAINERS;
const bareSideBySide = await measure(DELIVERIES, () =>
  Promise.all(bareAgents.map((agent) => bareLoop(agent, share))),
);
const sideBySideEvents = dealt(takeEvents(DELIVERIES), CONTAINERS);
const handledSideBySide = await withStdoutCounted(() =>
  measure(DELIVERIES, () =>
    Promise.all(containers.map((handler, index) => handlerLoop(handler, sideBySideEvents[index] ?? []))),
  ),
);

// ---------------------------------------------------------------------------------------
// The report.

const perSecond = (window: Window) => window.deliveries / (window.wallMs / 1000);
const msEach = (window: Window) => window.wallMs / window.deliveries;
const cpuEach = (window: Window) => window.cpuMs / window.deliveries;
const percent = (ratio: number) => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(0)} %`;
const line = (label: string, window: Window) =>
  `  ${label.padEnd(34)}${perSecond(window).toFixed(0).padStart(6)} deliveries/s  ${msEach(window).toFixed(3)} ms each  ${cpuEach(window).toFixed(3)} ms CPU each`;
const overhead = (base: Window, measured: Window) =>
  `  overhead (b)/(a) − 1                wall clock ${percent(msEach(measured) / msEach(base) - 1)}, CPU ${percent(cpuEach(measured) / cpuEach(base) - 1)}   (goal: ≤ +20 %)`;

const [cpu] = cpus();
console.log(
  `delivery overhead bench: node ${process.version}, ${cpus().length} cores (${cpu?.model.trim() ?? 'unknown'}), load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`,
);
console.log(
  `  ${DELIVERIES} deliveries per window of the ${Buffer.byteLength(JSON.stringify(anInvoicePayload(0)))}-byte invoice, ${DELIVERY_BATCH_SIZE} at once (DELIVERY_BATCH_SIZE), after ${WARM_UP} to warm up; set-up of ${storedDeliveries} stored deliveries took ${setUpSeconds.toFixed(1)} s`,
);
console.log(
  '  deliveries/s and ms each: wall clock of the window; ms CPU each: this process (receiver included)',
);
console.log('one container (headline):');
console.log(line('(a) bare POST loop', bare));
console.log(line('(b) delivery function as deployed', handled));
console.log(overhead(bare, handled));
console.log(`${CONTAINERS} containers side by side (${CONTAINERS} bare loops; ${CONTAINERS} functions):`);
console.log(line('(a) bare POST loops', bareSideBySide));
console.log(line('(b) delivery functions', handledSideBySide));
console.log(overhead(bareSideBySide, handledSideBySide));
const requestsEach = handledRequests.reduce((sum, [, tally]) => sum + tally.count, 0) / DELIVERIES;
console.log(
  `AWS requests per delivery in (b), one container: ${requestsEach.toFixed(2)} (mean latency of each, as the client saw it)`,
);
for (const [key, tally] of handledRequests) {
  console.log(
    `  ${key.padEnd(28)}${(tally.count / DELIVERIES).toFixed(2)}   ${(tally.totalMs / tally.count).toFixed(2)} ms`,
  );
}
console.log(
  `  stdout of the function: ${(handledOutput.bytes / (DELIVERIES / DELIVERY_BATCH_SIZE)).toFixed(0)} bytes in ${(handledOutput.lines / (DELIVERIES / DELIVERY_BATCH_SIZE)).toFixed(1)} lines per batch (the metrics document; log lines)`,
);

// ---------------------------------------------------------------------------------------
// --cpu-prof: one more window of (b), profiled.

/**
 * Who a profile node's code belongs to: a package, a file of this repository, a part of
 * node (`node:http` for `_http_client`, `node:streams` for `internal/streams/readable`), or
 * V8's own entries (`(garbage collector)`, `(program)`, `(idle)`). Native functions
 * (`writev`, `Hash`, a parser's `execute`) count for the JavaScript that called them.
 */
function ownerOf(frame: Profiler.ProfileNode['callFrame']): {
  readonly owner: string;
  readonly file: string;
} {
  const { url, functionName } = frame;
  if (url === '') return { owner: functionName, file: functionName };
  if (url.startsWith('node:')) {
    const builtin = url.slice('node:'.length).replace(/^internal\//, '');
    const area = builtin.startsWith('_http_') ? 'http' : (builtin.split('/')[0] ?? builtin);
    return { owner: `node:${area}`, file: url };
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const inside = path.slice(modules + '/node_modules/'.length);
    const parts = inside.split('/');
    const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? inside);
    return { owner: name, file: inside };
  }
  if (path.startsWith(repositoryRoot)) {
    const relative = path.slice(repositoryRoot.length);
    return { owner: `hookpost ${relative.split('/').slice(0, -1).join('/')}`, file: relative };
  }
  return { owner: 'other', file: path };
}

function selfTimes(profile: Profiler.Profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const isNative = ({ callFrame }: Profiler.ProfileNode) =>
    callFrame.url === '' && !callFrame.functionName.startsWith('(');
  const isNode = (node: Profiler.ProfileNode) => isNative(node) || node.callFrame.url.startsWith('node:');
  /** The node itself or, if `skip` says so, its nearest caller that `skip` does not (else itself). */
  const callerOf = (id: number, skip: (node: Profiler.ProfileNode) => boolean) => {
    const start = nodes.get(id);
    let node = start;
    while (node !== undefined && skip(node)) node = nodes.get(parents.get(node.id) ?? -1);
    return node ?? start;
  };
  const byOwner = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const add = (totals: Map<string, number>, key: string, ms: number) =>
    totals.set(key, (totals.get(key) ?? 0) + ms);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, index) => {
    const own = callerOf(id, isNative);
    const caller = callerOf(id, isNode);
    if (own === undefined || caller === undefined) return;
    // A sample's time is the delta to the next sample.
    const ms = (deltas[index + 1] ?? 0) / 1000;
    const { owner, file } = ownerOf(own.callFrame);
    add(byOwner, owner, ms);
    add(byFile, file, ms);
    // Node's work that no package's code called: what the event loop runs (socket reads,
    // deferred writes, promise jobs).
    const callerOwner =
      caller.callFrame.functionName === '(root)'
        ? 'node, from the event loop'
        : ownerOf(caller.callFrame).owner;
    add(byCaller, callerOwner, ms);
  });
  return { byOwner, byFile, byCaller };
}

if (PROFILE) {
  const events = takeEvents(DELIVERIES);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const profiled = await withStdoutCounted(() => measure(DELIVERIES, () => handlerLoop(container, events)));
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const file = join(tmpdir(), `delivery-overhead-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  const { byOwner, byFile, byCaller } = selfTimes(profile);
  const idle = byOwner.get('(idle)') ?? 0;
  const busy = [...byOwner].reduce((sum, [owner, ms]) => sum + (owner === '(idle)' ? 0 : ms), 0);
  console.log(
    `CPU profile of (b), ${DELIVERIES} more deliveries (slowed by the profiler: ${cpuEach(profiled).toFixed(3)} ms CPU each): ${file}`,
  );
  console.log(
    `  main thread busy ${busy.toFixed(0)} ms (${(busy / DELIVERIES).toFixed(3)} ms a delivery), idle ${idle.toFixed(0)} ms; self time, share of busy:`,
  );
  const top = (totals: Map<string, number>, count: number) =>
    [...totals]
      .filter(([name]) => name !== '(idle)')
      .sort(([, a], [, b]) => b - a)
      .slice(0, count);
  const print = (title: string, totals: Map<string, number>, count: number) => {
    console.log(`  ${title}:`);
    for (const [name, ms] of top(totals, count)) {
      console.log(
        `    ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${name}`,
      );
    }
  };
  print('by owner', byOwner, 20);
  print("by caller (node's own code counted for the package or file that called it)", byCaller, 12);
  print('by file', byFile, 20);
}

receiver.close();
for (const agent of bareAgents) agent.destroy();
setUpClient.destroy();
await fauxqs.close();
await dynamo.close();
