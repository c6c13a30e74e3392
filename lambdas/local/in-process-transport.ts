import { EventEmitter } from 'node:events';
import type { RequestListener } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  AwsHttpAnswer,
  AwsHttpRequest,
  AwsTransport,
} from '../adapters/aws/json-protocol/aws-json-client';

/** A request as a client hands it to its transport, before it would go on the wire. */
export interface StoreRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * A transport that gives each request to the embedded store's own request listener in
 * this process, without a socket: no TCP, no HTTP framing and parsing on either side. It
 * serves both clients of local mode: the stores' documents (an AwsTransport, `send`) and
 * the SDK's low-level client that creates tables and reads raw images (a request handler,
 * `handle`). The request is the one the client built, and the store answers it as it
 * answers one from the network, so the same code runs either way; only the bytes do not
 * cross loopback. Local mode spends most of its CPU on store requests (README,
 * "Performance and cost": about six per delivery), and the two HTTP stacks were about a
 * sixth of it in a CPU profile of `npm run bench:local` (run it with
 * NODE_OPTIONS=--cpu-prof to take one).
 */
export class InProcessStoreTransport implements AwsTransport {
  constructor(private readonly listener: RequestListener) {}

  /** An unsigned request of the documents' client (`sign: false`), answered by the store. */
  async send(request: AwsHttpRequest): Promise<AwsHttpAnswer> {
    const { response } = await this.handle({
      method: request.method,
      path: `${request.url.pathname}${request.url.search}`,
      headers: { ...request.headers, ...UNSIGNED_AUTHORIZATION },
      body: request.body,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      text: Buffer.from(response.body).toString('utf8'),
    };
  }

  handle(
    request: StoreRequest,
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }> {
    return new Promise((resolve, reject) => {
      const incoming = Object.assign(new EventEmitter(), {
        method: request.method,
        url: request.path,
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
        ),
      });
      incoming.on('error', reject);
      const headers: Record<string, string> = {};
      const outgoing = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: string | number) {
          headers[name.toLowerCase()] = String(value);
        },
        end(body?: string) {
          resolve({
            response: { statusCode: outgoing.statusCode, headers, body: Buffer.from(body ?? '', 'utf8') },
          });
        },
      };
      try {
        this.listener(incoming as never, outgoing as never);
      } catch (error) {
        reject(error);
        return;
      }
      const body = requestBytes(request.body);
      if (body.length > 0) incoming.emit('data', body);
      incoming.emit('end');
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/**
 * The SDK steps that serve a request crossing a network to AWS, and nothing to a store in
 * this process: logging (it copies and filters every input and output even with no logger),
 * the user agent, host and content-length headers, recursion detection, retries and SigV4
 * signing (for a store that checks no signature). They were about a fifth of local mode's
 * CPU when every store request went through the SDK; only table set-up and the stream
 * stand-in's reads do now. Serialization, endpoint resolution and deserialization stay,
 * so requests, answers and errors (the SDK's own exception classes) are what they are over
 * HTTP. The stores' own client skips signing too (`sign: false`) and keeps its retries,
 * which never fire against a store in this process.
 */
const MIDDLEWARE_FOR_THE_NETWORK = [
  'loggerMiddleware',
  'getUserAgentMiddleware',
  'hostHeaderMiddleware',
  'contentLengthMiddleware',
  'recursionDetectionMiddleware',
  'retryMiddleware',
  'httpSigningMiddleware',
] as const;

/**
 * dynalite refuses a request without an `Authorization` header in SigV4's form and an
 * `X-Amz-Date`, and checks no more than that: these stand in for the signature.
 */
const UNSIGNED_AUTHORIZATION = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20000101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20000101T000000Z',
} as const;

/**
 * Fits a client that sends through an {@link InProcessStoreTransport} to the store in this
 * process: the network's steps removed (see MIDDLEWARE_FOR_THE_NETWORK), the signature's
 * headers set as the store expects them.
 */
export function fitClientForInProcessStore(client: DynamoDBClient): void {
  for (const name of MIDDLEWARE_FOR_THE_NETWORK) client.middlewareStack.remove(name);
  client.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers !== undefined) Object.assign(request.headers, UNSIGNED_AUTHORIZATION);
      return next(args);
    },
    { step: 'build', name: 'inProcessStoreAuthorization' },
  );
}

/** The request body as bytes; the SDK gives a string or a Uint8Array (read as bytes, never as text). */
function requestBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}
