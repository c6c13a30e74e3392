import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AwsClient,
  AwsJsonClient,
  SCHEDULER,
  SQS,
} from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import {
  atExpressionTime,
  SchedulerRetryScheduler,
} from '../../lambdas/adapters/aws/scheduler/scheduler-retry-scheduler';
import { SqsDeliveryQueue } from '../../lambdas/adapters/aws/sqs/sqs-delivery-queue';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoEndpointStore } from '../../lambdas/adapters/dynamo/endpoint-store';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamo/message-store';
import { DynamoRateLimiter } from '../../lambdas/adapters/dynamo/rate-limiter';
import { GuardedHttpSender } from '../../lambdas/adapters/http/guarded-http-sender';
import { LoggedMetrics } from '../../lambdas/adapters/local/logged-metrics';
import type { DeliveryTask } from '../../lambdas/core/model';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../lambdas/core/retry';
import { createJsonLogger } from '../../lambdas/logger';
import { DeliveryService } from '../../lambdas/services/delivery';
import { OperationalNotifier } from '../../lambdas/services/operational';
import { type DynamoEngine, freshTables, startDynalite } from '../support/dynamodb';
import { aDelivery, aMessage, anEndpoint, ManualClock } from '../support/fixtures';
import { Receiver } from '../support/receiver';
import { type ReceivedCall, ScriptedAws } from '../support/scripted-aws';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/hookpost-delivery';
const SCHEDULER_OPTIONS = {
  groupName: 'hookpost-retries',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:hookpost-delivery',
  roleArn: 'arn:aws:iam::123456789012:role/hookpost-scheduler',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:hookpost-scheduler-dlq',
};
const task: DeliveryTask = {
  appId: 'app_01KAAAAAAAAAAAAAAAAAAAAAAA',
  msgId: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA',
  endpointId: 'ep_01KAAAAAAAAAAAAAAAAAAAAAAA',
  attemptNumber: 4,
  trigger: 'retry',
};

// SQS and EventBridge Scheduler on 127.0.0.1, answering from a script; each test sets its own.
const sqs = new ScriptedAws('sqs');
const scheduler = new ScriptedAws('scheduler');
const noWait = { sleep: async () => {}, random: () => 0.5 };
const sqsClient = () => new AwsJsonClient(SQS, { environment: sqs.environment(), ...noWait });
const schedulerClient = () => new AwsClient(SCHEDULER, { environment: scheduler.environment(), ...noWait });
beforeAll(async () => {
  await Promise.all([sqs.listen(), scheduler.listen()]);
});
afterAll(() => Promise.all([sqs.close(), scheduler.close()]));
beforeEach(() => {
  sqs.script({ status: 200, body: JSON.stringify({ Successful: [], Failed: [] }) });
  scheduler.script({ status: 200, body: JSON.stringify({ ScheduleArn: 'arn:schedule' }) });
});

/** The SendMessageBatch requests SQS received, each signed as SQS checks it. */
function sentBatches(): {
  QueueUrl: string;
  Entries: { Id: string; MessageBody: string; DelaySeconds: number }[];
}[] {
  return sqs.received.map((call) => {
    expect(call).toMatchObject({
      target: 'AmazonSQS.SendMessageBatch',
      contentType: 'application/x-amz-json-1.0',
      signatureProblem: undefined,
    });
    return call.body;
  });
}

/** The CreateSchedule requests Scheduler received (POST /schedules/{Name}), with their name. */
function createdSchedules(): Record<string, unknown>[] {
  return scheduler.received.map((call: ReceivedCall) => {
    expect(call).toMatchObject({
      method: 'POST',
      contentType: 'application/json',
      signatureProblem: undefined,
    });
    const name = /^\/schedules\/([^/?]+)$/.exec(call.path)?.[1];
    return { Name: name === undefined ? undefined : decodeURIComponent(name), ...call.body };
  });
}

describe('SqsDeliveryQueue requests', () => {
  it('sends in batches of ten with the delay rounded up to whole seconds', async () => {
    const tasks = Array.from({ length: 23 }, (_, index) => ({ ...task, endpointId: `ep_${index}` }));
    await new SqsDeliveryQueue(sqsClient(), QUEUE_URL).send(tasks, {
      delayMs: 4_501,
    });
    const batches = sentBatches();
    expect(batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 3]);
    expect(batches.every((batch) => batch.QueueUrl === QUEUE_URL)).toBe(true);
    expect(batches.flatMap((batch) => batch.Entries ?? []).every((entry) => entry.DelaySeconds === 5)).toBe(
      true,
    );
    expect(JSON.parse(batches[2]?.Entries?.[2]?.MessageBody ?? '')).toEqual(tasks[22]);
  });

  it('sends again what SQS failed for its own reasons, and gives up on the caller’s faults', async () => {
    sqs.script(
      {
        status: 200,
        body: JSON.stringify({
          Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }],
          Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
        }),
      },
      { status: 200, body: JSON.stringify({ Successful: [], Failed: [] }) },
    );
    const queue = new SqsDeliveryQueue(sqsClient(), QUEUE_URL);
    await queue.send([task, { ...task, endpointId: 'ep_2' }]);
    expect(sentBatches()[1]?.Entries.map((entry) => entry.Id)).toEqual(['1']);

    sqs.script({
      status: 200,
      body: JSON.stringify({ Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true }] }),
    });
    await expect(queue.send([task])).rejects.toThrow('InvalidParameterValue');
  });

  it('refuses a delay SQS cannot carry', async () => {
    const queue = new SqsDeliveryQueue(sqsClient(), QUEUE_URL);
    await expect(queue.send([task], { delayMs: 901_000 })).rejects.toThrow(RangeError);
    expect(sqs.received).toEqual([]);
  });
});

describe('SchedulerRetryScheduler requests', () => {
  it('creates a one-time UTC schedule that puts the task on the queue and deletes itself', async () => {
    await new SchedulerRetryScheduler(schedulerClient(), SCHEDULER_OPTIONS).schedule(
      task,
      new Date('2026-11-22T12:30:00.250Z'),
    );
    expect(createdSchedules()).toEqual([
      {
        Name: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA-ep_01KAAAAAAAAAAAAAAAAAAAAAAA-4',
        GroupName: 'hookpost-retries',
        ScheduleExpression: 'at(2026-11-22T12:30:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Description: expect.stringContaining('Attempt 4'),
        Target: {
          Arn: SCHEDULER_OPTIONS.queueArn,
          RoleArn: SCHEDULER_OPTIONS.roleArn,
          Input: JSON.stringify(task),
          DeadLetterConfig: { Arn: SCHEDULER_OPTIONS.deadLetterQueueArn },
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        },
        ClientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
  });

  it('treats an existing schedule of the same name as done', async () => {
    // As Scheduler answers: the error's name in a header, its message in the body.
    scheduler.script({
      status: 409,
      headers: {
        'x-amzn-errortype': 'ConflictException:http://internal.amazon.com/coral/com.amazonaws.chronos/',
      },
      body: JSON.stringify({ Message: 'Schedule already exists.' }),
    });
    const retryScheduler = new SchedulerRetryScheduler(schedulerClient(), SCHEDULER_OPTIONS);
    await expect(retryScheduler.schedule(task, new Date())).resolves.toBeUndefined();
    expect(scheduler.received).toHaveLength(1);

    // Any other refusal is the caller's to see.
    scheduler.script({
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException' },
      body: JSON.stringify({ Message: 'Invalid schedule expression.' }),
    });
    await expect(retryScheduler.schedule(task, new Date())).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Invalid schedule expression.',
    });
  });

  it.each([
    ['2026-11-22T12:30:00.000Z', '2026-11-22T12:30:00'],
    ['2026-11-22T12:30:00.001Z', '2026-11-22T12:30:01'],
    ['2026-12-31T23:59:59.500Z', '2027-01-01T00:00:00'],
  ])('writes %s as at(%s)', (iso, expected) => {
    expect(atExpressionTime(new Date(iso))).toBe(expected);
  });
});

/**
 * The delivery service on the AWS adapters (SQS and Scheduler scripted on 127.0.0.1):
 * after a failed attempt, the 5 s and 5 min rungs become SQS delays and the 30 min rung
 * a schedule.
 */
describe('retry transport on AWS', () => {
  let engine: DynamoEngine;
  let receiver: Receiver;
  let clock: ManualClock;
  const message = aMessage('app_01KAAAAAAAAAAAAAAAAAAAAAAA');

  beforeAll(async () => {
    engine = await startDynalite();
    receiver = await Receiver.start();
    receiver.reply = () => ({ status: 500 });
  });
  afterAll(async () => {
    await receiver.close();
    await engine.close();
  });
  beforeEach(async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    clock = new ManualClock();
    const endpoint = anEndpoint(message.appId, { url: `${receiver.url}/hook` });
    const messages = new DynamoMessageStore(doc, tables.messages, { retentionDays: 30 });
    const endpoints = new DynamoEndpointStore(doc, tables.catalog);
    const deliveries = new DynamoDeliveryStore(doc, tables.deliveries, { retentionDays: 30 });
    await messages.accept(message);
    await endpoints.create(endpoint);
    await deliveries.createIfAbsent(aDelivery(message, endpoint.id));
    const logger = createJsonLogger('error');
    makeService = (retry, random) =>
      new DeliveryService({
        messages,
        endpoints,
        deliveries,
        rateLimiter: new DynamoRateLimiter(doc, tables.deliveries),
        queue: new SqsDeliveryQueue(sqsClient(), QUEUE_URL),
        scheduler: new SchedulerRetryScheduler(schedulerClient(), SCHEDULER_OPTIONS),
        sender: new GuardedHttpSender({ allowLoopback: true }),
        notifier: new OperationalNotifier({ messages, clock }),
        clock,
        random: () => random,
        metrics: new LoggedMetrics(logger),
        logger,
        settings: {
          retry,
          attemptTimeoutMs: 5_000,
          autoDisableAfterMs: 5 * 86_400_000,
          userAgent: 'Hookpost/test',
        },
      });
    base = { appId: message.appId, msgId: message.id, endpointId: endpoint.id };
  });
  let base: Pick<DeliveryTask, 'appId' | 'msgId' | 'endpointId'>;
  let makeService: (retry: RetryPolicy, random: number) => DeliveryService;

  it('puts the 5 s and 5 min retries on SQS delays and the 30 min one on a schedule', async () => {
    const service = makeService(DEFAULT_RETRY_POLICY, 0.5);
    for (const attemptNumber of [1, 2, 3]) {
      expect(
        await service.deliver({ ...base, attemptNumber, trigger: attemptNumber === 1 ? 'initial' : 'retry' }),
      ).toBe('retry_scheduled');
    }
    const delays = sentBatches().map((batch) => [
      JSON.parse(batch.Entries[0]?.MessageBody ?? '').attemptNumber,
      batch.Entries[0]?.DelaySeconds,
    ]);
    expect(delays).toEqual([
      [2, 5],
      [3, 300],
    ]);
    const schedules = createdSchedules() as { ScheduleExpression?: string; Target?: { Input?: string } }[];
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.ScheduleExpression).toBe(
      `at(${atExpressionTime(new Date(clock.now().getTime() + 1_800_000))})`,
    );
    expect(JSON.parse(schedules[0]?.Target?.Input ?? '')).toMatchObject({
      attemptNumber: 4,
      trigger: 'retry',
    });
    expect(receiver.requests).toHaveLength(3);
  });

  // SQS refuses delays over 900 s: a rung near 15 minutes jittered up must go to the scheduler instead.
  it('carries a 900 s rung jittered up on a schedule, never on an SQS delay it cannot hold', async () => {
    const service = makeService({ ...DEFAULT_RETRY_POLICY, ladderSeconds: [900] }, 0.999_999);
    await expect(service.deliver({ ...base, attemptNumber: 1, trigger: 'initial' })).resolves.toBe(
      'retry_scheduled',
    );
    expect(sqs.received).toHaveLength(0);
    expect(scheduler.received).toHaveLength(1);
  });
});
