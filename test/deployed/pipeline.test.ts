import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { METRIC_DIMENSIONS, METRICS } from '../../lambdas/contract/metrics';
import { DELIVERY_QUEUE_MAX_RECEIVE_COUNT } from '../../lambdas/contract/queues';
import { ROUTE_IDS, ROUTES } from '../../lambdas/contract/routes';
import { SETTINGS } from '../../lambdas/contract/settings';
import { HARNESS_ACCESS_KEY } from '../support/deployed/aws-stand-ins';
import { certificateFor } from '../support/deployed/certificates';
import { DeployedStack } from '../support/deployed/deployed-stack';
import type { EmulatedFunction } from '../support/deployed/lambda-runtime';
import { anInvoicePayload } from '../support/fixtures';
import { eventually, Receiver } from '../support/receiver';

/**
 * What `cdk deploy` creates, run offline: the synthesized template's bundles in their own
 * processes with the template's environment, behind the emulated API Gateway, against
 * DynamoDB Local and the SQS emulator. A receiver with a public-looking name gets the
 * webhooks over HTTPS (deployed mode refuses http and loopback targets); the network guard
 * sends its connections to 127.0.0.1 and refuses everything else.
 */

const RECEIVER_HOST = 'receiver.hookpost.test';
/** Public-looking, so that the SSRF guard lets it through; the network guard connects it to 127.0.0.1. */
const RECEIVER_ADDRESS = '11.22.33.44';
/** Every queue delay and schedule runs 300 times faster: the 30-minute rung comes after about 6 s. */
const TIME_SCALE = 1 / 300;

let stack: DeployedStack;
let receiver: Receiver;
let adminKey: string;
let certificateDir: string;

beforeAll(async () => {
  const certificate = await certificateFor(RECEIVER_HOST);
  certificateDir = mkdtempSync(join(tmpdir(), 'hookpost-receiver-ca-'));
  const caFile = join(certificateDir, 'receiver.pem');
  writeFileSync(caFile, certificate.cert);
  receiver = await Receiver.start({ tls: certificate });
  stack = await DeployedStack.deploy({
    assemblyDir: inject('assemblyDir'),
    stackName: inject('stackName'),
    timeScale: TIME_SCALE,
    network: { hosts: { [RECEIVER_HOST]: RECEIVER_ADDRESS }, redirects: { [RECEIVER_ADDRESS]: '127.0.0.1' } },
    extraCaFile: caFile,
  });
  adminKey = stack.secrets.value(stack.output('AdminKeySecretArn'));
});

afterAll(async () => {
  // DynamoDB Local now and then refuses a read the poller then makes again, as Lambda would: shown on demand.
  const problems = stack?.pollers.flatMap((poller) => poller.problems) ?? [];
  if (problems.length > 0 && process.env.HOOKPOST_TEST_ECHO_LOGS === '1') console.warn(problems);
  await stack?.stop();
  await receiver?.close();
  if (certificateDir !== undefined) rmSync(certificateDir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; key?: string | null } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
): Promise<{ status: number; body: any }> {
  const key = options.key === undefined ? adminKey : options.key;
  const response = await fetch(new URL(path.replace(/^\//, ''), stack.apiUrl), {
    method,
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function anAppWithEndpoint(path: string) {
  const app = await call('POST', '/v1/apps', { body: { name: `Receiver of ${path}` } });
  expect(app.status).toBe(201);
  const endpoint = await call('POST', `/v1/apps/${app.body.id}/endpoints`, {
    body: { url: `https://${RECEIVER_HOST}:${receiver.port}${path}` },
  });
  expect(endpoint.status).toBe(201);
  const secret = await call('GET', `/v1/apps/${app.body.id}/endpoints/${endpoint.body.id}/secret`);
  return {
    appId: app.body.id as string,
    endpointId: endpoint.body.id as string,
    secret: secret.body.key as string,
  };
}

const messageStatus = async (appId: string, msgId: string) =>
  (await call('GET', `/v1/apps/${appId}/messages/${msgId}`)).body.deliveries[0];

describe('the deployed stack', () => {
  it('answers health without a key, and refuses a missing or unknown key in the error envelope', async () => {
    expect(await call('GET', '/v1/health', { key: null })).toEqual({ status: 200, body: { status: 'ok' } });
    for (const key of [null, 'hpk_not_the_admin_key_0123456789']) {
      const refused = await call('GET', '/v1/apps', { key });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
  });

  it('answers an unknown route and a body that is not a JSON object itself, before any function runs', async () => {
    const apiInvocations = stack.functions.api?.invocations;
    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const notAnObject = await call('POST', '/v1/apps', { rawBody: '[1, 2]' });
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.error.code).toBe('bad_request');
    expect(stack.functions.api?.invocations).toBe(apiInvocations);
  });

  it('keeps the authorizer’s decision for a key instead of asking again on every request', async () => {
    await call('GET', '/v1/apps');
    const before = stack.api.authorizerInvocations;
    await call('GET', '/v1/apps');
    await call('GET', '/v1/event-types');
    expect(stack.api.authorizerInvocations).toBe(before);
  });

  it('routes every deployed route into the API function', async () => {
    for (const id of ROUTE_IDS) {
      const route = ROUTES[id];
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `${name}-that-does-not-exist`);
      const answer = await call(route.method, path, { body: route.body === 'none' ? undefined : {} });
      // API Gateway's own 404 says "No such route."; the function's names what it did not find.
      expect([id, answer.body?.error?.message]).not.toEqual([id, 'No such route.']);
      expect([id, answer.status]).not.toEqual([id, 401]);
      expect(answer.status).toBeLessThan(500);
    }
  });

  it('lets an application key act on its own application only, through the authorizer', async () => {
    const { appId } = await anAppWithEndpoint('/keyed');
    const other = await anAppWithEndpoint('/other');
    const created = await call('POST', `/v1/apps/${appId}/keys`);
    expect(created.status).toBe(201);
    const key = created.body.key as string;

    expect((await call('GET', `/v1/apps/${appId}/endpoints`, { key })).status).toBe(200);
    const foreign = await call('GET', `/v1/apps/${other.appId}/endpoints/${other.endpointId}`, { key });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'not_found']);
    const adminOnly = await call('GET', '/v1/apps', { key });
    expect([adminOnly.status, adminOnly.body.error.code]).toEqual([403, 'forbidden']);
    const unknown = await call('GET', `/v1/apps/${appId}`, { key: `${key.slice(0, -4)}AAAA` });
    expect(unknown.status).toBe(401);
  });

  it("lists the NAT gateways' Elastic IPs, the stack's EgressIps output, at GET /v1/egress-ips", async () => {
    const answer = await call('GET', '/v1/egress-ips');
    expect(answer.status).toBe(200);
    expect(answer.body.data).toHaveLength(2);
    expect(answer.body.data.join(',')).toBe(stack.output('EgressIps'));
  });

  it('delivers a message from the API to the receiver, signed so that standardwebhooks verifies it', async () => {
    expect((await call('POST', '/v1/event-types', { body: { name: 'invoice.paid' } })).status).toBe(201);
    const { appId, secret } = await anAppWithEndpoint('/once');
    // 1 KiB of JSON: stored deflated, so it reaches fan-out as a binary attribute of the stream record.
    const invoice = anInvoicePayload(1);
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      body: { eventType: 'invoice.paid', eventId: 'inv-1-paid', payload: invoice },
    });
    expect(sent.status).toBe(202);

    await eventually(
      async () => receiver.requests.filter((request) => request.path === '/once'),
      (requests) => requests.length === 1,
    );
    const [request] = receiver.requests.filter((candidate) => candidate.path === '/once');
    const verified = new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {});
    expect(verified).toMatchObject({ type: 'invoice.paid', data: invoice });
    expect(request?.headers['webhook-id']).toBe(sent.body.id);
    expect(request?.headers['user-agent']).toMatch(/^Hookpost\//);
    await eventually(
      () => messageStatus(appId, sent.body.id),
      (delivery) => delivery?.status === 'succeeded',
    );

    const replay = await call('POST', `/v1/apps/${appId}/messages`, {
      body: { eventType: 'invoice.paid', eventId: 'inv-1-paid', payload: invoice },
    });
    expect(replay).toMatchObject({ status: 200, body: { id: sent.body.id } });
  });

  it('sends a test webhook through the delivery function and answers its attempt', async () => {
    const { appId, endpointId, secret } = await anAppWithEndpoint('/tested');
    const tested = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ trigger: 'manual', outcome: 'succeeded', responseStatus: 200 });
    const [request] = receiver.requests.filter((received) => received.path === '/tested');
    expect(new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).toMatchObject({
      type: 'webhook.test',
    });
  });

  it('resends a delivered message as a manual attempt', async () => {
    const { appId, endpointId } = await anAppWithEndpoint('/resent');
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      body: { eventType: 'invoice.paid', payload: { invoiceId: 'inv_resent' } },
    });
    await eventually(
      () => messageStatus(appId, sent.body.id),
      (state) => state?.status === 'succeeded',
      30_000,
    );
    const resent = await call(
      'POST',
      `/v1/apps/${appId}/messages/${sent.body.id}/endpoints/${endpointId}/resend`,
    );
    expect(resent.status).toBe(202);
    const attempts = await eventually(
      () => call('GET', `/v1/apps/${appId}/messages/${sent.body.id}/attempts`),
      (answer) => answer.body.data.length === 2,
      30_000,
    );
    expect(attempts.body.data.map((attempt: { trigger: string }) => attempt.trigger)).toEqual([
      'initial',
      'manual',
    ]);
    expect(receiver.requests.filter((request) => request.path === '/resent')).toHaveLength(2);
  });

  it('pulls from a poll endpoint: receive, the same head again, delete, the next, then 204', async () => {
    const app = await call('POST', '/v1/apps', { body: { name: 'Puller' } });
    const endpoint = await call('POST', `/v1/apps/${app.body.id}/endpoints`, { body: { kind: 'poll' } });
    expect(endpoint.status).toBe(201);
    const key = (await call('POST', `/v1/apps/${app.body.id}/keys`)).body.key as string;
    const notifications = `/v1/apps/${app.body.id}/endpoints/${endpoint.body.id}/notifications`;
    const sent: string[] = [];
    for (const n of [1, 2]) {
      const message = await call('POST', `/v1/apps/${app.body.id}/messages`, {
        body: { eventType: 'invoice.paid', payload: { n } },
        key,
      });
      expect(message.status).toBe(202);
      sent.push(message.body.id);
    }
    const first = await call('POST', `${notifications}/receive?wait=5`, { key });
    expect(first.status).toBe(200);
    expect(first.body.notification).toMatchObject({
      id: sent[0],
      eventType: 'invoice.paid',
      payload: { n: 1 },
    });
    expect((await call('POST', `${notifications}/receive`, { key })).body).toEqual(first.body);
    expect((await call('DELETE', `${notifications}/${first.body.receiptId}`, { key })).status).toBe(204);
    const second = await call('POST', `${notifications}/receive?wait=5`, { key });
    expect(second.body.notification.id).toBe(sent[1]);
    expect((await call('DELETE', `${notifications}/${second.body.receiptId}`, { key })).status).toBe(204);
    expect((await call('POST', `${notifications}/receive?wait=1`, { key })).status).toBe(204);
    // Fan-out records each as a succeeded delivery, and the deletes as pulled.
    const stats = await eventually(
      () => call('GET', `/v1/apps/${app.body.id}/endpoints/${endpoint.body.id}/stats`, { key }),
      (answer) => answer.body.succeeded === 2,
      30_000,
    );
    expect(stats.body.pull).toEqual({ pulled: 2, pending: 0 });
  });

  it('accepts a batch and delivers each of its messages', async () => {
    const { appId } = await anAppWithEndpoint('/batch');
    const batch = await call('POST', `/v1/apps/${appId}/messages/batch`, {
      body: {
        messages: [
          { eventType: 'invoice.paid', eventId: 'batch-1', payload: { n: 1 } },
          { eventType: 'invoice.paid', eventId: 'batch-2', payload: { n: 2 } },
        ],
      },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.data.map((result: { status: number }) => result.status)).toEqual([202, 202]);
    for (const result of batch.body.data) {
      await eventually(
        () => messageStatus(appId, result.message.id),
        (state) => state?.status === 'succeeded',
        30_000,
      );
    }
    expect(receiver.requests.filter((request) => request.path === '/batch')).toHaveLength(2);
  });

  it('disables an endpoint that answers 410 Gone, with no retry, and tells app_operational', async () => {
    receiver.reply = (request) => (request.path === '/gone' ? { status: 410 } : { status: 200, body: 'ok' });
    const { appId, endpointId } = await anAppWithEndpoint('/gone');
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      body: { eventType: 'invoice.paid', payload: { invoiceId: 'inv_gone' } },
    });

    const delivery = await eventually(
      () => messageStatus(appId, sent.body.id),
      (state) => state?.status === 'failed',
      30_000,
    );
    expect(delivery).toMatchObject({ attemptCount: 1, nextAttemptAt: null });
    expect((await call('GET', `/v1/apps/${appId}/endpoints/${endpointId}`)).body.disabled).toBe(true);
    const notices = await call('GET', '/v1/apps/app_operational/messages?eventType=endpoint.disabled');
    expect(notices.body.data.map((notice: { payload: unknown }) => notice.payload)).toContainEqual(
      expect.objectContaining({ endpointId, msgId: sent.body.id, reason: 'gone' }),
    );
    expect(stack.sqs.delays.filter((delay) => JSON.parse(delay.body).msgId === sent.body.id)).toEqual([]);
  });

  it('retries after 5 s and 5 min on queue delays and after 30 min on a one-time schedule, then delivers', async () => {
    let failuresLeft = 3;
    receiver.reply = (request) => {
      if (request.path !== '/flaky' || failuresLeft === 0) return { status: 200, body: 'ok' };
      failuresLeft--;
      return { status: 503, body: 'not yet' };
    };
    const { appId, secret } = await anAppWithEndpoint('/flaky');
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      body: { eventType: 'invoice.paid', payload: { invoiceId: 'inv_2' } },
    });
    expect(sent.status).toBe(202);

    const delivery = await eventually(
      () => messageStatus(appId, sent.body.id),
      (state) => state?.status === 'succeeded',
      60_000,
    );
    expect(delivery.attemptCount).toBe(4);
    const attempts = receiver.requests.filter((request) => request.path === '/flaky');
    expect(attempts).toHaveLength(4);
    for (const attempt of attempts)
      expect(() => new Webhook(secret).verify(attempt.body, attempt.headers)).not.toThrow();

    const retries = stack.sqs.delays
      .map((delay) => ({ ...delay, task: JSON.parse(delay.body) }))
      .filter(({ task }) => task.msgId === sent.body.id);
    expect(retries.map(({ task }) => task.attemptNumber)).toEqual([2, 3]);
    expect(retries[0]?.requestedSeconds).toBeGreaterThanOrEqual(5 * 0.9);
    expect(retries[0]?.requestedSeconds).toBeLessThanOrEqual(Math.ceil(5 * 1.1));
    expect(retries[1]?.requestedSeconds).toBeGreaterThanOrEqual(300 * 0.9);
    expect(retries[1]?.requestedSeconds).toBeLessThanOrEqual(Math.ceil(300 * 1.1));

    const schedules = stack.scheduler.schedules.filter(
      (schedule) => JSON.parse(schedule.input).msgId === sent.body.id,
    );
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    expect(JSON.parse(schedule?.input ?? '{}')).toMatchObject({ attemptNumber: 4, trigger: 'retry' });
    expect(schedule?.expression).toMatch(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/);
    expect(schedule?.fired).toBe(true);
    expect(schedule?.failure).toBeUndefined();
  });

  it('emits the dashboard’s metrics in the namespace and with the dimension the stack reads, one document per invocation', () => {
    const namespace = stack.functions.delivery?.deployment.environment[SETTINGS.metricNamespace.env];
    expect(namespace).toBe(`Hookpost/${inject('stackName')}`);
    const emittedBy = (fn: EmulatedFunction | undefined) => {
      // The lines Lambda's log-level filter passed (test/support/deployed/lambda-runtime.ts).
      const documents = (fn?.logs ?? [])
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line));
      expect(documents.length).toBeGreaterThan(0);
      expect(documents.length).toBeLessThanOrEqual(fn?.invocations ?? 0);
      return new Set(
        documents.flatMap((document) =>
          document._aws.CloudWatchMetrics.flatMap(
            (directive: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }) => {
              expect(directive.Dimensions).toEqual([Object.keys(METRIC_DIMENSIONS)]);
              expect(document).toMatchObject(METRIC_DIMENSIONS);
              return directive.Namespace === namespace ? directive.Metrics.map((metric) => metric.Name) : [];
            },
          ),
        ),
      );
    };
    expect(emittedBy(stack.functions.fanOut)).toContain(METRICS.messagesAccepted.name);
    const delivered = emittedBy(stack.functions.delivery);
    for (const metric of [
      METRICS.deliveryAttempts,
      METRICS.deliverySucceeded,
      METRICS.deliveryFailed,
      METRICS.retriesScheduled,
      METRICS.attemptDuration,
      METRICS.endToEndLatency,
    ]) {
      expect(delivered).toContain(metric.name);
    }
  });

  it('made only calls the roles of the template allow, and every function made the calls it needs', () => {
    expect(stack.access.denials).toEqual([]);
    const actionsOf = (roleLogicalId: string | undefined) =>
      new Set(stack.access.callsBy(roleLogicalId ?? '?').map((record) => record.action));
    expect(actionsOf(stack.functions.authorizer?.deployment.accessKeyId)).toEqual(
      new Set(['secretsmanager:GetSecretValue', 'dynamodb:GetItem']),
    );
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem']) {
      expect(actionsOf(stack.functions.api?.deployment.accessKeyId)).toContain(action);
    }
    for (const action of ['dynamodb:GetRecords', 'dynamodb:Query', 'sqs:SendMessage']) {
      expect(actionsOf(stack.functions.fanOut?.deployment.accessKeyId)).toContain(action);
    }
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'scheduler:CreateSchedule',
      'iam:PassRole',
    ]) {
      expect(actionsOf(stack.functions.delivery?.deployment.accessKeyId)).toContain(action);
    }
    const schedulerSends = stack.access.calls.filter(
      (record) => record.action === 'sqs:SendMessage' && record.caller.includes('SchedulerRole'),
    );
    expect(schedulerSends.length).toBeGreaterThan(0);
  });

  it('asked SQS for no delay it would refuse, and the SQS stand-in refuses one as SQS does', async () => {
    expect(stack.sqs.refusedDelays).toEqual([]);
    const queueUrl = stack.functions.delivery?.deployment.environment[SETTINGS.deliveryQueueUrl.env] ?? '';
    const sqs = new SQSClient({
      endpoint: stack.sqs.url,
      region: 'us-east-1',
      credentials: { accessKeyId: HARNESS_ACCESS_KEY, secretAccessKey: 'harness' },
    });
    try {
      const batch = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [{ Id: 'late', MessageBody: '{}', DelaySeconds: 901 }],
        }),
      );
      expect(batch.Failed).toEqual([
        expect.objectContaining({ Id: 'late', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
    } finally {
      sqs.destroy();
      stack.sqs.refusedDelays.length = 0;
    }
  });

  it('sends a task the delivery function can never process to the dead-letter queue after the configured receives', async () => {
    const queueUrl = stack.functions.delivery?.deployment.environment[SETTINGS.deliveryQueueUrl.env] ?? '';
    const sqs = new SQSClient({
      endpoint: stack.sqs.url,
      region: 'us-east-1',
      credentials: { accessKeyId: HARNESS_ACCESS_KEY, secretAccessKey: 'harness' },
    });
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
      }),
    );
    const redrive = JSON.parse(Attributes.RedrivePolicy ?? '{}') as {
      deadLetterTargetArn: string;
      maxReceiveCount: number;
    };
    expect(redrive.maxReceiveCount).toBe(DELIVERY_QUEUE_MAX_RECEIVE_COUNT);
    const { QueueUrl: deadLetterUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: redrive.deadLetterTargetArn.split(':').pop() }),
    );
    // Five receives a visibility timeout apart take half an hour as deployed: for this test
    // only, the harness shortens the timeout, as the rest of the tier shortens delays.
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: '1' } }),
    );
    try {
      const poison = `not a delivery task ${Date.now()}`;
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: poison }));
      const dead = await eventually(
        () =>
          sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: deadLetterUrl,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }),
          ),
        (output) => (output.Messages?.length ?? 0) > 0,
        60_000,
      );
      expect(dead.Messages?.map((message) => message.Body)).toEqual([poison]);
      // It came to the delivery function once per receive, and was handed back every time.
      const handedBack = stack.functions.delivery?.logs.filter((line) =>
        line.includes('delivery task handed back to the queue'),
      );
      expect(handedBack?.length).toBeGreaterThanOrEqual(DELIVERY_QUEUE_MAX_RECEIVE_COUNT);
    } finally {
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { VisibilityTimeout: Attributes.VisibilityTimeout ?? '30' },
        }),
      );
      sqs.destroy();
    }
  });

  it('connected to nothing but loopback', () => {
    expect(stack.refusals).toEqual([]);
  });
});
