import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { proxyEvent } from '../../../lambdas/local/api-gateway-server';
import { evaluate, type PolicyDocument } from './iam';
import type { InvokeOutcome } from './lambda-runtime';

/**
 * A REST API as API Gateway runs it, from the template's resources, methods, authorizer,
 * request validator, models and gateway responses: route matching (a literal segment
 * wins over a parameter), the TOKEN authorizer with its cache and the policy it returns,
 * body validation against the method's model, the Lambda proxy integration (through
 * Lambda's resource policy), and API Gateway's own answers in the template's gateway
 * responses. Stage throttling is not emulated.
 */

export interface TokenAuthorizerSettings {
  readonly id: string;
  /** The header the token is read from (`method.request.header.<Name>`). */
  readonly identityHeader: string;
  readonly validationExpression: string | undefined;
  readonly resultTtlSeconds: number;
  readonly functionArn: string;
}

export interface MethodSettings {
  readonly httpMethod: string;
  /** The resource path with `{name}` placeholders, e.g. `/v1/apps/{appId}`. */
  readonly resourcePath: string;
  readonly authorizer: TokenAuthorizerSettings | undefined;
  /** The model a JSON body must satisfy, when the method's validator checks bodies. */
  readonly jsonBodyModel: Record<string, unknown> | undefined;
  readonly functionArn: string;
}

export interface GatewayResponseSettings {
  readonly type: string;
  readonly statusCode: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly template: string | undefined;
}

export interface RestApiSettings {
  readonly apiId: string;
  readonly stageName: string;
  readonly region: string;
  readonly account: string;
  readonly methods: readonly MethodSettings[];
  readonly gatewayResponses: readonly GatewayResponseSettings[];
  /** Invokes a function as API Gateway (the principal), for the given source ARN; 'forbidden' when Lambda's policy refuses. */
  readonly invoke: (
    functionArn: string,
    event: unknown,
    sourceArn: string,
  ) => Promise<InvokeOutcome | 'forbidden'>;
}

/** API Gateway's own answers when the template does not shape them. */
const BUILT_IN: Readonly<Record<string, { status: number; message: string }>> = {
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  AUTHORIZER_FAILURE: { status: 500, message: 'Internal server error' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error' },
  INTEGRATION_FAILURE: { status: 502, message: 'Internal server error' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
};

const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface CachedDecision {
  readonly policy: PolicyDocument;
  readonly principalId: string;
  readonly context: Record<string, unknown>;
  readonly expiresAt: number;
}

interface RouteMatch {
  readonly method: MethodSettings;
  readonly pathParameters: Record<string, string> | null;
}

export class EmulatedRestApi {
  /** Authorizer invocations, so that a test can see the cache at work. */
  authorizerInvocations = 0;
  private readonly cache = new Map<string, CachedDecision>();
  private readonly tlsServers: https.Server[] = [];

  private constructor(
    private readonly server: http.Server,
    /** The stage's base URL, ending with `/`, like the `ApiUrl` output. */
    readonly url: string,
    private readonly settings: RestApiSettings,
  ) {}

  static async start(settings: RestApiSettings): Promise<EmulatedRestApi> {
    let api: EmulatedRestApi | undefined;
    const server = http.createServer((request, response) => {
      void api?.serve(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `emulator failure: ${String(error)}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    api = new EmulatedRestApi(server, `http://127.0.0.1:${port}/${settings.stageName}/`, settings);
    return api;
  }

  /**
   * Serves the same API over HTTPS too, as API Gateway's own domain does (a tool that
   * reads the `ApiUrl` output talks to `https://<api>.execute-api.<region>.amazonaws.com`).
   * Answers the port.
   */
  async listenTls(tls: { readonly key: string; readonly cert: string }): Promise<number> {
    const server = https.createServer(tls, (request, response) => {
      void this.serve(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `emulator failure: ${String(error)}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.tlsServers.push(server);
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.server, ...this.tlsServers].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
    }
    if (size > MAX_PAYLOAD_BYTES) return this.gatewayResponse(response, 'REQUEST_TOO_LARGE');
    const url = new URL(request.url ?? '/', 'http://emulated');
    const stagePrefix = `/${this.settings.stageName}`;
    if (url.pathname !== stagePrefix && !url.pathname.startsWith(`${stagePrefix}/`)) {
      return this.gatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN');
    }
    const path = url.pathname.slice(stagePrefix.length) || '/';
    const method = request.method ?? 'GET';
    const match = this.route(method, path);
    if (match === undefined) return this.gatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN');

    const headerPairs: [string, string][] = [];
    for (let index = 0; index < request.rawHeaders.length; index += 2) {
      headerPairs.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
    }
    const header = (name: string) =>
      headerPairs.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
    const methodArn = `arn:aws:execute-api:${this.settings.region}:${this.settings.account}:${this.settings.apiId}/${this.settings.stageName}/${method}${path}`;

    let authorizer: APIGatewayProxyEvent['requestContext']['authorizer'] = null;
    if (match.method.authorizer !== undefined) {
      const decision = await this.authorize(
        match.method.authorizer,
        header(match.method.authorizer.identityHeader),
        methodArn,
      );
      if (typeof decision === 'string') return this.gatewayResponse(response, decision);
      authorizer = { principalId: decision.principalId, ...decision.context };
    }

    const body = Buffer.concat(chunks).toString('utf8');
    const contentType = header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? 'application/json';
    if (match.method.jsonBodyModel !== undefined && contentType === 'application/json') {
      if (!satisfiesModel(match.method.jsonBodyModel, body))
        return this.gatewayResponse(response, 'BAD_REQUEST_BODY');
    }

    const event = proxyEvent({
      method,
      path,
      headers: headerPairs,
      query: [...url.searchParams],
      body: body === '' ? null : body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      route: { resource: match.method.resourcePath, pathParameters: match.pathParameters },
      authorizer,
      stage: this.settings.stageName,
      apiId: this.settings.apiId,
      accountId: this.settings.account,
    });
    const outcome = await this.settings.invoke(match.method.functionArn, event, methodArn);
    if (outcome === 'forbidden' || !outcome.ok) {
      const timedOut = outcome !== 'forbidden' && outcome.error.errorType === 'Sandbox.Timedout';
      return this.gatewayResponse(response, timedOut ? 'INTEGRATION_TIMEOUT' : 'INTEGRATION_FAILURE');
    }
    const result = outcome.result as {
      statusCode?: unknown;
      headers?: Record<string, string>;
      body?: unknown;
      isBase64Encoded?: boolean;
    } | null;
    if (result === null || typeof result.statusCode !== 'number') {
      return this.gatewayResponse(response, 'INTEGRATION_FAILURE');
    }
    const payload =
      typeof result.body === 'string'
        ? Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8')
        : Buffer.alloc(0);
    response.writeHead(result.statusCode, { ...result.headers, 'content-length': String(payload.length) });
    response.end(payload);
  }

  /** The method for a request, matching as API Gateway does: at each level a literal segment before a parameter. */
  private route(httpMethod: string, path: string): RouteMatch | undefined {
    const segments = path.split('/').filter(Boolean);
    const candidates = this.settings.methods
      .map((method) => ({ method, pattern: method.resourcePath.split('/').filter(Boolean) }))
      .filter(({ pattern }) => pattern.length === segments.length)
      .filter(({ pattern }) => pattern.every((part, index) => isParameter(part) || part === segments[index]));
    if (candidates.length === 0) return undefined;
    // The most specific resource: the first differing segment is a literal.
    const specificity = (pattern: string[]) =>
      pattern.map((part) => (isParameter(part) ? '1' : '0')).join('');
    candidates.sort((a, b) => specificity(a.pattern).localeCompare(specificity(b.pattern)));
    const best = specificity(candidates[0]?.pattern ?? []);
    const found = candidates.find(
      ({ method, pattern }) =>
        specificity(pattern) === best && (method.httpMethod === httpMethod || method.httpMethod === 'ANY'),
    );
    if (found === undefined) return undefined;
    const parameters = Object.fromEntries(
      found.pattern.flatMap((part, index) =>
        isParameter(part) ? [[part.slice(1, -1), decodeURIComponent(segments[index] ?? '')]] : [],
      ),
    );
    return { method: found.method, pathParameters: Object.keys(parameters).length === 0 ? null : parameters };
  }

  /** The TOKEN authorizer: its cached decision for the token, or a fresh one. */
  private async authorize(
    settings: TokenAuthorizerSettings,
    token: string | undefined,
    methodArn: string,
  ): Promise<CachedDecision | 'UNAUTHORIZED' | 'ACCESS_DENIED' | 'AUTHORIZER_FAILURE'> {
    if (token === undefined || token === '') return 'UNAUTHORIZED';
    if (
      settings.validationExpression !== undefined &&
      !new RegExp(`^${settings.validationExpression}$`).test(token)
    ) {
      return 'UNAUTHORIZED';
    }
    let decision = this.cache.get(`${settings.id}|${token}`);
    if (decision === undefined || decision.expiresAt <= Date.now()) {
      this.authorizerInvocations++;
      const sourceArn = `arn:aws:execute-api:${this.settings.region}:${this.settings.account}:${this.settings.apiId}/authorizers/${settings.id}`;
      const outcome = await this.settings.invoke(
        settings.functionArn,
        { type: 'TOKEN', authorizationToken: token, methodArn },
        sourceArn,
      );
      if (outcome === 'forbidden') return 'AUTHORIZER_FAILURE';
      if (!outcome.ok)
        return outcome.error.errorMessage === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE';
      const result = outcome.result as {
        principalId?: unknown;
        policyDocument?: PolicyDocument;
        context?: Record<string, unknown>;
      } | null;
      if (typeof result?.principalId !== 'string' || result.policyDocument === undefined)
        return 'AUTHORIZER_FAILURE';
      decision = {
        policy: result.policyDocument,
        principalId: result.principalId,
        context: result.context ?? {},
        expiresAt: Date.now() + settings.resultTtlSeconds * 1000,
      };
      if (settings.resultTtlSeconds > 0) this.cache.set(`${settings.id}|${token}`, decision);
    }
    const allowed = evaluate([decision.policy], { action: 'execute-api:Invoke', resource: methodArn });
    return allowed.decision === 'allow' ? decision : 'ACCESS_DENIED';
  }

  private gatewayResponse(response: http.ServerResponse, type: string): void {
    const builtIn = BUILT_IN[type] ?? { status: 500, message: 'Internal server error' };
    const configured =
      this.settings.gatewayResponses.find((candidate) => candidate.type === type) ??
      this.settings.gatewayResponses.find(
        (candidate) => candidate.type === (builtIn.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'),
      );
    const status = Number(configured?.statusCode ?? builtIn.status);
    const body =
      configured?.template === undefined
        ? JSON.stringify({ message: builtIn.message })
        : configured.template
            .replaceAll('$context.error.messageString', JSON.stringify(builtIn.message))
            .replaceAll('$context.error.message', builtIn.message);
    response.writeHead(status, { 'content-type': 'application/json', ...configured?.headers });
    response.end(body);
  }
}

function isParameter(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

/**
 * Whether a body satisfies a request model. Hookpost's models only say "a JSON object";
 * any other schema keyword fails loudly rather than pass everything.
 */
function satisfiesModel(model: Record<string, unknown>, body: string): boolean {
  const unknown = Object.keys(model).filter((key) => !['$schema', 'type', 'title'].includes(key));
  if (unknown.length > 0) throw new Error(`Model keywords ${unknown.join(', ')} are not emulated here.`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return false;
  }
  if (model.type === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value);
  if (model.type !== undefined) throw new Error(`Model type ${String(model.type)} is not emulated here.`);
  return true;
}
