import type { APIGatewayProxyResult } from 'aws-lambda';
import { loadLocalConfig } from '../../lambdas/config';
import { proxyEvent } from '../../lambdas/local/api-gateway-server';
import { createLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { createLocalWorker, type LocalWorker } from '../../lambdas/local/worker';
import { createJsonLogger } from '../../lambdas/logger';
import type { WebhookSender } from '../../lambdas/ports';
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
    const config = loadLocalConfig({ HOOKPOST_LOG_LEVEL: 'error', ...options.env });
    const logger = createJsonLogger(config.logLevel);
    const runtime = await createLocalRuntime({
      config,
      dynamoEndpoint: engine.endpoint,
      adminKey: ADMIN_KEY,
      logger,
      sender: options.sender,
    });
    const worker = createLocalWorker(runtime, {
      logger,
      attemptTimeoutMs: config.attemptTimeoutMs,
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
    const event = proxyEvent({
      method,
      path,
      headers: [
        ['Content-Type', 'application/json'],
        ...(key === null ? [] : [['Authorization', `Bearer ${key}`] as const]),
      ],
      query: Object.entries(options.query ?? {}),
      body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
      sourceIp: '198.51.100.7',
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
