import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { loadRuntimeConfig } from '../../lambdas/config';
import { createLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { LocalWorker } from '../../lambdas/local/worker';
import { createJsonLogger } from '../../lambdas/logger';
import { systemClock, type WebhookSender } from '../../lambdas/ports';
import { type DynamoEngine, startDynalite } from './dynamodb';

export const ADMIN_KEY = 'hpk_admin_test_0123456789abcdef';

/**
 * The local runtime in this process over in-memory dynalite, with its worker running:
 * everything `npm start` runs except the HTTP server, so that handler and pipeline tests
 * can call the API handler with API Gateway events directly.
 */
export class LocalStack {
  private constructor(
    readonly runtime: LocalRuntime,
    readonly worker: LocalWorker,
    private readonly engine: DynamoEngine,
  ) {}

  static async start(
    options: { env?: NodeJS.ProcessEnv; sender?: WebhookSender; attemptTimeoutMs?: number } = {},
  ): Promise<LocalStack> {
    const engine = await startDynalite();
    const config = loadRuntimeConfig({ HOOKPOST_LOG_LEVEL: 'error', ...options.env });
    const logger = createJsonLogger(config.logLevel);
    const runtime = await createLocalRuntime({
      config,
      dynamoEndpoint: engine.endpoint,
      adminKey: ADMIN_KEY,
      logger,
      sender: options.sender,
    });
    const worker = new LocalWorker({
      stream: runtime.stream,
      queue: runtime.queue,
      scheduler: runtime.scheduler,
      fanOut: runtime.handlers.fanOut,
      delivery: runtime.handlers.delivery,
      clock: systemClock,
      logger,
      visibilityTimeoutMs: 6 * config.attemptTimeoutMs,
      retryBackoffMs: 50,
    });
    worker.start();
    return new LocalStack(runtime, worker, engine);
  }

  /** Calls the API handler as API Gateway's proxy integration would. */
  async call(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; key?: string | null; query?: Record<string, string> } = {},
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    const event = apiGatewayEvent(method, path, {
      headers: {
        'Content-Type': 'application/json',
        ...(key === null ? {} : { Authorization: `Bearer ${key}` }),
      },
      body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      query: options.query ?? null,
    });
    const result: APIGatewayProxyResult = await this.runtime.handlers.api(event);
    this.worker.nudge();
    return {
      status: result.statusCode,
      body: result.body === '' ? undefined : JSON.parse(result.body),
      headers: result.headers ?? {},
    };
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    this.runtime.close();
    await this.engine.close();
  }
}

/** A REST API proxy event as API Gateway sends it for `ANY /{proxy+}`. */
export function apiGatewayEvent(
  method: string,
  path: string,
  parts: { headers: Record<string, string>; body: string | null; query: Record<string, string> | null },
): APIGatewayProxyEvent {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers: parts.headers,
    multiValueHeaders: Object.fromEntries(
      Object.entries(parts.headers).map(([name, value]) => [name, [value]]),
    ),
    queryStringParameters: parts.query,
    multiValueQueryStringParameters: parts.query
      ? Object.fromEntries(Object.entries(parts.query).map(([name, value]) => [name, [value]]))
      : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: parts.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '198.51.100.7',
        user: null,
        userAgent: 'curl/8.5.0',
        userArn: null,
      },
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: '/{proxy+}',
    },
  };
}
