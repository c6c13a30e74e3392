import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsEnvironment } from '../../../config';

/**
 * A small client for the AWS services the functions call, all of which speak JSON: the
 * JSON protocols (one POST to `/`, the operation in `X-Amz-Target`: DynamoDB, SQS, Secrets
 * Manager) and REST-JSON (EventBridge Scheduler), SigV4-signed by the SDK's own signer.
 * It stands where the SDK's clients stood because they were most of every bundle and
 * its cold start, and about 0.4 ms of CPU per call (README, "Bundles, cold starts and
 * memory"). REST-JSON calls go through AwsClient, JSON-protocol ones through
 * AwsJsonClient. What it leaves out the functions do not need: other
 * protocols, paginators, waiters, endpoint rules beyond the regional endpoint and the
 * `AWS_ENDPOINT_URL_<SERVICE>` override, credentials other than the environment's (a
 * Lambda function's own, lambdas/config.ts `loadAwsEnvironment`).
 * It retries what the SDK's standard mode retries (throttling and transient errors, 429
 * and 500/502/503/504 answers, broken connections), three attempts in all, with its
 * full-jitter backoff.
 */

/** One AWS service: where it is and how its requests are signed. */
export interface AwsService {
  /** The endpoint's first label and SigV4's service name (`dynamodb`, `scheduler`). */
  readonly endpointPrefix: string;
  /** The service's part of `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly endpointVariable: string;
}

/** A service of the JSON protocols: the operation is named in `X-Amz-Target`. */
export interface AwsJsonService extends AwsService {
  /** What goes before the operation in `X-Amz-Target`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
}

export const DYNAMODB: AwsJsonService = {
  endpointPrefix: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  endpointVariable: 'DYNAMODB',
};

export const SECRETS_MANAGER: AwsJsonService = {
  endpointPrefix: 'secretsmanager',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
  endpointVariable: 'SECRETS_MANAGER',
};

export const SQS: AwsJsonService = {
  endpointPrefix: 'sqs',
  targetPrefix: 'AmazonSQS',
  jsonVersion: '1.0',
  endpointVariable: 'SQS',
};

/** EventBridge Scheduler speaks REST-JSON: the operation is the method and path. */
export const SCHEDULER: AwsService = {
  endpointPrefix: 'scheduler',
  endpointVariable: 'SCHEDULER',
};

/** An error answer of an AWS service, named as the SDK names it (`ConditionalCheckFailedException`, …). */
export class AwsServiceError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
    /** The answer's own fields beside the type and message (DynamoDB's `CancellationReasons`, …). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** The error names that mean "slow down": the SDK's throttling list. */
const THROTTLING_ERRORS = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** The error names that mean "try again" (the request was not served in time): the SDK's transient list. */
const TRANSIENT_ERRORS = new Set(['RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);

/** Statuses worth a second try, as the SDK has them. */
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);

/** Connection failures a second try may mend (the SDK's list); a bad certificate or header it cannot. */
const TRANSIENT_SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const MAX_ATTEMPTS = 3;
/**
 * Full-jitter backoff, as the SDK's standard mode: after the n-th attempt, a random wait
 * up to base × 2^(n−1), from a longer base when the service asked to slow down. Three attempts with the
 * longer waits stay within the authorizer's 10 s even when every attempt times out.
 */
const BACKOFF_BASE_MS = 100;
const THROTTLED_BACKOFF_BASE_MS = 500;

/**
 * A connection or answer silent this long (a socket idle timeout, not a total one) is
 * given up and tried again, unless the caller chooses another: the services answer in
 * milliseconds, and the SDK, which has no such timeout by default, would wait until the
 * function's own time ran out. A write given up this way may still have been applied:
 * retried, a conditional write could then answer that its condition failed, as it can
 * after any retried write.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;

/** One signed request, as it goes on the wire. */
export interface AwsHttpRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface AwsHttpAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** What carries a request to the service and its answer back: HTTP, or a store in this process. */
export interface AwsTransport {
  send(request: AwsHttpRequest, timeoutMs: number): Promise<AwsHttpAnswer>;
}

export interface AwsClientOptions {
  readonly environment: AwsEnvironment;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default 2 s */
  readonly attemptTimeoutMs?: number;
  /** @default HTTP(S) over Node's global agent, which keeps connections alive */
  readonly transport?: AwsTransport;
  /**
   * Whether to sign: only a store in this process, which checks no signature, is sent
   * unsigned requests (lambdas/local/in-process-transport.ts).
   * @default true
   */
  readonly sign?: boolean;
}

/** A signed HTTP client of one AWS service, with the SDK's retries. */
export class AwsClient {
  readonly endpoint: URL;
  private readonly signer: SignatureV4 | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly transport: AwsTransport;

  constructor(service: AwsService, options: AwsClientOptions) {
    const { environment } = options;
    this.endpoint = new URL(
      environment.endpointOverride(service.endpointVariable) ??
        `https://${service.endpointPrefix}.${environment.region}.${dnsSuffixOf(environment.region)}`,
    );
    this.signer =
      options.sign === false
        ? undefined
        : new SignatureV4({
            service: service.endpointPrefix,
            region: environment.region,
            credentials: environment.credentials,
            sha256: NodeSha256,
          });
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.transport = options.transport ?? httpTransport;
  }

  /**
   * Sends one request (`path` with its query, if any, after the endpoint's own path) and
   * answers the parsed JSON of a 2xx answer, or throws an AwsServiceError.
   */
  async request<Output>(
    method: string,
    path: string,
    body: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<Output> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(method, path, body, headers)) as Output;
      } catch (error) {
        const retry = retryOf(error);
        if (attempt >= MAX_ATTEMPTS || retry === 'never') throw error;
        const base = retry === 'throttled' ? THROTTLED_BACKOFF_BASE_MS : BACKOFF_BASE_MS;
        await this.sleep(this.random() * base * 2 ** (attempt - 1));
      }
    }
  }

  private async attempt(
    method: string,
    path: string,
    body: string,
    headers: Readonly<Record<string, string>>,
  ): Promise<unknown> {
    const url = new URL(`${this.endpoint.pathname.replace(/\/$/, '')}${path}`, this.endpoint);
    const unsigned = {
      ...headers,
      host: url.host,
      'content-length': String(Buffer.byteLength(body)),
    };
    const signed =
      this.signer === undefined
        ? unsigned
        : (
            await this.signer.sign({
              method,
              protocol: url.protocol,
              hostname: url.hostname,
              ...(url.port === '' ? {} : { port: Number(url.port) }),
              path: url.pathname,
              query: Object.fromEntries(url.searchParams),
              headers: unsigned,
              body,
            })
          ).headers;
    const answer = await this.transport.send({ url, method, headers: signed, body }, this.attemptTimeoutMs);
    if (answer.status >= 200 && answer.status < 300) return answer.text === '' ? {} : JSON.parse(answer.text);
    throw errorOf(answer);
  }
}

/** A client of a JSON-protocol service (DynamoDB, SQS, Secrets Manager). */
export class AwsJsonClient extends AwsClient {
  private readonly contentType: string;
  private readonly targetPrefix: string;

  constructor(service: AwsJsonService, options: AwsClientOptions) {
    super(service, options);
    this.contentType = `application/x-amz-json-${service.jsonVersion}`;
    this.targetPrefix = service.targetPrefix;
  }

  /** Calls one operation and answers its output, or throws an AwsServiceError. */
  call<Output>(operation: string, input: object): Promise<Output> {
    return this.request<Output>('POST', '/', JSON.stringify(input, blobsAsBase64), {
      'content-type': this.contentType,
      'x-amz-target': `${this.targetPrefix}.${operation}`,
    });
  }
}

/**
 * Blobs (DynamoDB's `B`) travel as base64 in the JSON protocols. The replacer sees what a
 * Buffer's own toJSON made of it, so it looks at the value as its holder has it.
 */
function blobsAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Uint8Array) {
    return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  }
  return value;
}

/**
 * The DNS suffix of each partition whose regions differ from the commercial one's
 * (`amazonaws.com`, GovCloud's too), by region prefix, most specific first: the SDK's
 * partition table, as far as these services' regional endpoints need it.
 */
const PARTITION_SUFFIXES: readonly (readonly [prefix: string, suffix: string])[] = [
  ['cn-', 'amazonaws.com.cn'],
  ['eusc-', 'amazonaws.eu'],
  ['us-isob-', 'sc2s.sgov.gov'],
  ['us-isof-', 'csp.hci.ic.gov'],
  ['us-iso-', 'c2s.ic.gov'],
  ['eu-isoe-', 'cloud.adc-e.uk'],
];

function dnsSuffixOf(region: string): string {
  return PARTITION_SUFFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com';
}

function errorOf(answer: AwsHttpAnswer): AwsServiceError {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(answer.text);
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page, say): the status says what happened.
  }
  const { __type, message, Message, code, ...details } = parsed;
  // REST-JSON names the error in a header, JSON in `__type`: `ConflictException:http://…`,
  // `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`, or the bare name.
  const header = answer.headers['x-amzn-errortype'];
  const type = [header, __type, code].find((value) => typeof value === 'string' && value !== '') as
    | string
    | undefined;
  const name = type?.split('#').pop()?.split(':')[0] || `Http${answer.status}Error`;
  const text = message ?? Message;
  return new AwsServiceError(
    name,
    typeof text === 'string' ? text : `HTTP ${answer.status}`,
    answer.status,
    details,
  );
}

/** Whether a failed attempt is worth another, and after how long a wait. */
function retryOf(error: unknown): 'throttled' | 'transient' | 'never' {
  if (error instanceof AwsServiceError) {
    if (error.statusCode === 429 || THROTTLING_ERRORS.has(error.name)) return 'throttled';
    if (TRANSIENT_STATUSES.has(error.statusCode) || TRANSIENT_ERRORS.has(error.name)) return 'transient';
    return 'never';
  }
  // No answer at all: a reset, refused or stalled connection.
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && TRANSIENT_SOCKET_ERRORS.has(code) ? 'transient' : 'never';
}

/** Requests over HTTP(S), on Node's global agents (connections kept alive). */
export const httpTransport: AwsTransport = {
  send: ({ url, method, headers, body }, timeoutMs) =>
    new Promise((resolve, reject) => {
      const transport = url.protocol === 'http:' ? http : https;
      const request = transport.request(url, { method, headers, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      });
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('The AWS call timed out.'), { code: 'ETIMEDOUT' })),
      );
      request.on('error', reject);
      request.end(body);
    }),
};

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the form the SDK's signer takes. */
export class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(this.secret));
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
