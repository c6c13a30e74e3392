import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  APIGatewayTokenAuthorizerEvent,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../lambdas/adapters/aws/dynamo/delivery-store';
import { messageAttributes } from '../../lambdas/adapters/aws/dynamo/message-store';
import { AdminKeySecret } from '../../lambdas/adapters/aws/secrets/admin-key-secret';
import { hashKey } from '../../lambdas/core/keys';
import { createApiHandler, lambdaAuthorizerAuthenticator } from '../../lambdas/handlers/api';
import { createAuthorizerHandler, wholeApiArn } from '../../lambdas/handlers/authorizer';
import { createDeliveryHandler } from '../../lambdas/handlers/delivery';
import { createFanOutHandler } from '../../lambdas/handlers/fanout';
import { proxyEvent } from '../../lambdas/local/api-gateway-server';
import { createJsonLogger } from '../../lambdas/logger';
import { aMessage } from '../support/fixtures';
import { LocalStack } from '../support/local-stack';

// Handlers log the failures these tests provoke; keep the test output to the results.
const logger = createJsonLogger('error', () => {});
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/apps/app_1/messages';

describe('authorizer handler', () => {
  const handler = createAuthorizerHandler({
    adminKeyHash: async () => hashKey('hpk_admin_right_key_0123456789'),
  });
  const event = (authorizationToken: string): APIGatewayTokenAuthorizerEvent => ({
    type: 'TOKEN',
    methodArn: METHOD_ARN,
    authorizationToken,
  });

  it('allows the admin key on the whole API, so that a cached answer serves every route', async () => {
    const result = await handler(event('Bearer hpk_admin_right_key_0123456789'));
    expect(result.principalId).toBe('admin');
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*',
      },
    ]);
  });

  it.each(['Bearer wrong', 'hpk_admin_right_key_0123456789', '', 'Basic abc'])(
    'refuses %j with 401',
    async (token) => {
      await expect(handler(event(token))).rejects.toThrow(/^Unauthorized$/);
    },
  );

  it('scopes the policy to the API and stage of the request', () => {
    expect(wholeApiArn('arn:aws:execute-api:us-east-1:1:api/stage/GET/')).toBe(
      'arn:aws:execute-api:us-east-1:1:api/stage/*',
    );
  });
});

describe('admin key from Secrets Manager', () => {
  const secrets = mockClient(SecretsManagerClient);
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookpost-admin-key-AbCdEf';

  it('is read once per container and kept only as a hash', async () => {
    secrets.reset();
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN })
      .resolves({ SecretString: 'hpk_admin_right_key_0123456789' });
    const adminKey = new AdminKeySecret(new SecretsManagerClient({ region: 'eu-west-1' }), ARN);
    const handler = createAuthorizerHandler({ adminKeyHash: () => adminKey.keyHash() });
    const event = {
      type: 'TOKEN' as const,
      methodArn: METHOD_ARN,
      authorizationToken: 'Bearer hpk_admin_right_key_0123456789',
    };
    await handler(event);
    await handler(event);
    await expect(handler({ ...event, authorizationToken: 'Bearer nope' })).rejects.toThrow('Unauthorized');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(await adminKey.keyHash()).toEqual(hashKey('hpk_admin_right_key_0123456789'));
  });

  it('tries again after a failed read instead of failing forever', async () => {
    secrets.reset();
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'hpk_admin_right_key_0123456789' });
    const adminKey = new AdminKeySecret(new SecretsManagerClient({ region: 'eu-west-1' }), ARN);
    await expect(adminKey.keyHash()).rejects.toThrow('throttled');
    await expect(adminKey.keyHash()).resolves.toEqual(hashKey('hpk_admin_right_key_0123456789'));
  });
});

describe('API handler behind the authorizer', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves what the authorizer passed and refuses what it did not', async () => {
    const handler = createApiHandler({
      services: stack.runtime.services,
      authenticate: lambdaAuthorizerAuthenticator,
      logger,
    });
    const base = proxyEvent({
      method: 'GET',
      path: '/v1/apps',
      headers: [],
      query: [],
      body: null,
      sourceIp: '198.51.100.7',
    });
    const authorized = {
      ...base,
      requestContext: { ...base.requestContext, authorizer: { principalId: 'admin' } },
    };
    expect((await handler(authorized)).statusCode).toBe(200);
    expect((await handler(base)).statusCode).toBe(401);
    const health = proxyEvent({
      method: 'GET',
      path: '/v1/health',
      headers: [],
      query: [],
      body: null,
      sourceIp: '1.2.3.4',
    });
    expect((await handler(health)).statusCode).toBe(200);
  });

  it('fans out a stream INSERT of a message and ignores the other records', async () => {
    const appId = (await stack.call('POST', '/v1/apps', { body: { name: 'Stream' } })).body.id;
    const endpointId = (
      await stack.call('POST', `/v1/apps/${appId}/endpoints`, { body: { url: 'http://127.0.0.1:9/x' } })
    ).body.id;
    const message = aMessage(appId);
    const record = (
      eventName: DynamoDBRecord['eventName'],
      item: Record<string, unknown>,
      sequence: string,
    ): DynamoDBRecord => ({
      eventID: `event-${sequence}`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN:
        'arn:aws:dynamodb:eu-west-1:123456789012:table/hookpost-messages/stream/2026-11-22T00:00:00.000',
      dynamodb: {
        ApproximateCreationDateTime: 1_795_338_000,
        Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
        NewImage: marshall(item, { removeUndefinedValues: true }) as never,
        SequenceNumber: sequence,
        SizeBytes: 512,
        StreamViewType: 'NEW_IMAGE',
      },
    });
    const event: DynamoDBStreamEvent = {
      Records: [
        record(
          'INSERT',
          { pk: appId, sk: 'EVENTID#order-1', kind: 'event-id', message: messageAttributes(message) },
          '100',
        ),
        record(
          'INSERT',
          { pk: appId, sk: message.id, kind: 'message', ...messageAttributes(message) },
          '200',
        ),
        record(
          'MODIFY',
          { pk: appId, sk: message.id, kind: 'message', ...messageAttributes(message) },
          '300',
        ),
      ],
    };
    const handler = createFanOutHandler({ fanOut: stack.runtime.services.fanOut, logger });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const deliveries = await new DynamoDeliveryStore(stack.runtime.doc, stack.runtime.tables.deliveries, {
      retentionDays: 30,
    }).listForMessage(message.id);
    expect(deliveries.map((delivery) => delivery.endpointId)).toEqual([endpointId]);
  });

  it('reports the malformed record of an SQS batch as a failure and processes the rest', async () => {
    const sqsRecord = (messageId: string, body: string): SQSRecord => ({
      messageId,
      receiptHandle: `AQEB${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1795338000000',
        SenderId: 'AROAEXAMPLE:hookpost-fanout',
        ApproximateFirstReceiveTimestamp: '1795338000100',
      },
      messageAttributes: {},
      md5OfBody: '0',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:hookpost-delivery',
      awsRegion: 'eu-west-1',
    });
    const event: SQSEvent = {
      Records: [
        sqsRecord(
          'm-1',
          JSON.stringify({
            appId: 'app_x',
            msgId: 'msg_gone',
            endpointId: 'ep_x',
            attemptNumber: 1,
            trigger: 'initial',
          }),
        ),
        sqsRecord('m-2', '{not json'),
        sqsRecord('m-3', JSON.stringify({ appId: 'app_x', msgId: 'msg_1' })),
      ],
    };
    const handler = createDeliveryHandler({ delivery: stack.runtime.services.delivery, logger });
    expect(await handler(event)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }],
    });
  });
});
