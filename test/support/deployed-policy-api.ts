import { createDynamoStores } from '../../lambdas/adapters/dynamo/stores';
import { hashKey } from '../../lambdas/core/keys';
import { DEPLOYED_URL_POLICY } from '../../lambdas/core/url-guard';
import { type ApiHandler, bearerKeyAuthenticator, createApiHandler } from '../../lambdas/handlers/api';
import { proxyEvent } from '../../lambdas/local/api-gateway-server';
import { createJsonLogger } from '../../lambdas/logger';
import { systemClock } from '../../lambdas/ports';
import { createApiServices } from '../../lambdas/services';
import { KeyAuthenticator } from '../../lambdas/services/api-keys';
import { type DynamoEngine, freshTables, startDynalite } from './dynamodb';

export const API_KEY = 'hpk_admin_policy_0123456789abcdef';

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly text: string;
}

/**
 * The API function as deployed (https only, no private or loopback targets) over in-memory
 * dynalite, called with API Gateway proxy events: for tests of what the API accepts.
 */
export class DeployedPolicyApi {
  private constructor(
    readonly handler: ApiHandler,
    private readonly engine: DynamoEngine,
    readonly tables: Awaited<ReturnType<typeof freshTables>>,
  ) {}

  static async start(): Promise<DeployedPolicyApi> {
    const engine = await startDynalite();
    const tables = await freshTables(engine.endpoint);
    const stores = createDynamoStores(tables.doc, tables.tables, { retentionDays: 30 });
    const services = createApiServices(
      { ...stores, clock: systemClock },
      { urlPolicy: DEPLOYED_URL_POLICY, requireKnownEventTypes: false, egressIps: ['203.0.113.7'] },
    );
    const handler = createApiHandler({
      services,
      authenticate: bearerKeyAuthenticator(
        new KeyAuthenticator({ adminKeyHash: async () => hashKey(API_KEY), apiKeys: stores.apiKeys }),
      ),
      logger: createJsonLogger('error', () => {}),
    });
    return new DeployedPolicyApi(handler, engine, tables);
  }

  async call(
    method: string,
    path: string,
    options: {
      body?: unknown;
      rawBody?: string | null;
      headers?: readonly (readonly [string, string])[];
      query?: readonly (readonly [string, string])[];
    } = {},
  ): Promise<ApiAnswer> {
    const event = proxyEvent({
      method,
      path,
      headers: options.headers ?? [
        ['Content-Type', 'application/json'],
        ['Authorization', `Bearer ${API_KEY}`],
      ],
      query: options.query ?? [],
      body:
        options.rawBody !== undefined
          ? options.rawBody
          : options.body === undefined
            ? null
            : JSON.stringify(options.body),
      sourceIp: '198.51.100.7',
    });
    const result = await this.handler(event);
    return { status: result.statusCode, headers: result.headers ?? {}, text: result.body };
  }

  async json(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await this.call(method, path, { body });
    return {
      status: answer.status,
      body: answer.text === '' ? {} : (JSON.parse(answer.text) as Record<string, unknown>),
    };
  }

  async stop(): Promise<void> {
    this.tables.client.destroy();
    await this.engine.close();
  }
}
