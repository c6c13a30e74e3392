import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiHandler } from '../handlers/api';
import { envelope } from '../handlers/http/errors';

/** API Gateway's own limit on a request payload; the handler applies the smaller API limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface LocalApiServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that does what API Gateway's REST proxy integration does:
 * each request becomes an APIGatewayProxyEvent for the API handler, its result the response.
 */
export async function startApiGatewayServer(options: {
  readonly handler: ApiHandler;
  readonly port: number;
  /** Called after each request, e.g. to wake the worker for a message just accepted. */
  readonly afterRequest?: () => void;
}): Promise<LocalApiServer> {
  const server = http.createServer((request, response) => {
    void serve(request, response, options.handler).finally(() => options.afterRequest?.());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  handler: ApiHandler,
): Promise<void> {
  try {
    const body = await readBody(request);
    if (body === undefined) {
      respond(response, 413, envelope('payload_too_large', 'The request is too large.'));
      return;
    }
    const event = toProxyEvent(request, body);
    if (event === undefined) {
      respond(response, 400, envelope('bad_request', 'The request target is not a valid path.'));
      return;
    }
    const result = await handler(event);
    response.writeHead(result.statusCode, result.headers as http.OutgoingHttpHeaders);
    response.end(result.body);
  } catch (error) {
    // The handler answers every error itself; reaching here is a bug in this server.
    console.error('local API server failed', error);
    respond(response, 500, envelope('internal_error', 'Something went wrong on our side.'));
  }
}

function respond(response: http.ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function readBody(request: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The request as API Gateway would hand it over, or undefined when its target is no path at all. */
function toProxyEvent(request: http.IncomingMessage, body: Buffer): APIGatewayProxyEvent | undefined {
  const target = request.url ?? '/';
  // Origin-form only ("/path?query"): "//host/..." or "http://host/..." would name another host.
  if (!target.startsWith('/') || target.startsWith('//') || !URL.canParse(target, 'http://127.0.0.1')) {
    return undefined;
  }
  const url = new URL(target, 'http://127.0.0.1');
  const headers: [string, string][] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    headers.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
  }
  return proxyEvent({
    method: request.method ?? 'GET',
    path: url.pathname,
    headers,
    query: [...url.searchParams],
    body: body.length === 0 ? null : body.toString('utf8'),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${request.httpVersion}`,
  });
}

/** Groups repeated names the way API Gateway does: last value single-valued, all values multi-valued. */
function valuesByName(pairs: readonly (readonly [string, string])[]) {
  // A Map, not an object literal: a name such as `valueOf` or `__proto__` is a name like any
  // other. Object.fromEntries makes own properties, as JSON.parse of API Gateway's event does.
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = multi.get(name);
    if (values === undefined) multi.set(name, [value]);
    else values.push(value);
  }
  return {
    single: Object.fromEntries([...multi].map(([name, values]) => [name, values.at(-1) as string])),
    multi: Object.fromEntries(multi),
  };
}

/**
 * An API Gateway REST proxy event for one request: by default as an `ANY /{proxy+}` route
 * without an authorizer (local mode), or for a given route and authorizer context.
 */
export function proxyEvent(request: {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly query: readonly (readonly [string, string])[];
  readonly body: string | null;
  readonly sourceIp: string;
  readonly protocol?: string;
  readonly route?: {
    readonly resource: string;
    readonly pathParameters: Readonly<Record<string, string>> | null;
  };
  readonly authorizer?: APIGatewayProxyEvent['requestContext']['authorizer'];
  readonly stage?: string;
  readonly apiId?: string;
  readonly accountId?: string;
}): APIGatewayProxyEvent {
  const headers = valuesByName(request.headers);
  const query = valuesByName(request.query);
  const hasQuery = request.query.length > 0;
  const resource = request.route?.resource ?? '/{proxy+}';
  const stage = request.stage ?? 'local';
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
    pathParameters:
      request.route === undefined ? { proxy: request.path.slice(1) } : request.route.pathParameters,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: request.accountId ?? '000000000000',
      apiId: request.apiId ?? 'local',
      authorizer: request.authorizer ?? null,
      protocol: request.protocol ?? 'HTTP/1.1',
      httpMethod: request.method,
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
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers.single['User-Agent'] ?? headers.single['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${request.path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}
