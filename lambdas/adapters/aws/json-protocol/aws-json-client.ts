import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsEnvironment } from '../../../config';

/**
 * A small client for AWS's JSON protocols (one POST to `/`, the operation in `X-Amz-Target`,
 * SigV4-signed by the SDK's own signer), for a function that makes one or two kinds of
 * call and whose cold start the whole SDK client would dominate: the authorizer, whose
 * bundle with the SDK's DynamoDB and Secrets Manager clients weighed 266 KB, most of it
 * the SDK's core (README, "Performance and cost"). What it leaves out it does not need:
 * other protocols, paginators, waiters, endpoint rules beyond the regional endpoint and
 * the `AWS_ENDPOINT_URL_<SERVICE>` override, credentials other than the environment's
 * (a Lambda function's own, lambdas/handlers/aws/env-credentials.ts says why).
 * It retries what the SDK's standard mode retries (throttling and transient errors, 429
 * and 5xx answers, broken connections), three attempts in all, with full-jitter backoff
 * from 50 ms.
 */

/** One AWS service spoken to over a JSON protocol. */
export interface AwsJsonService {
  /** The endpoint's first label and SigV4's service name (`dynamodb`, `secretsmanager`). */
  readonly endpointPrefix: string;
  /** What goes before the operation in `X-Amz-Target`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  /** The service's part of `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly endpointVariable: string;
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

/** An error answer of an AWS service, named as the SDK names it (`ConditionalCheckFailedException`, …). */
export class AwsServiceError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** The error names that mean "slow down" or "try again" (the SDK's throttling and transient lists). */
const RETRYABLE_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  // Transient: the request was not served in time.
  'RequestTimeout',
  'RequestTimeoutException',
  'PriorRequestNotComplete',
]);

const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 50;
/**
 * A connection or answer silent this long (a socket idle timeout, not a total one) is
 * given up and tried again, by default: three attempts and their backoff stay within the
 * authorizer's 10 s (lib/api.ts). The SDK has no such timeout by default. A write given up
 * this way may still have been applied: retried, a conditional write could then answer
 * that its condition failed. The authorizer only reads.
 */
const ATTEMPT_TIMEOUT_MS = 2_000;

export interface AwsJsonClientOptions {
  readonly environment: AwsEnvironment;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default 2 s */
  readonly attemptTimeoutMs?: number;
}

export class AwsJsonClient {
  readonly endpoint: URL;
  private readonly signer: SignatureV4;
  private readonly attemptTimeoutMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly service: AwsJsonService,
    options: AwsJsonClientOptions,
  ) {
    const { environment } = options;
    this.endpoint = new URL(
      environment.endpointOverride(service.endpointVariable) ??
        `https://${service.endpointPrefix}.${environment.region}.${dnsSuffixOf(environment.region)}`,
    );
    this.signer = new SignatureV4({
      service: service.endpointPrefix,
      region: environment.region,
      credentials: environment.credentials,
      sha256: NodeSha256,
    });
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  }

  /** Calls one operation and answers its output, or throws an AwsServiceError. */
  async call<Output>(operation: string, input: object): Promise<Output> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.attempt(operation, body)) as Output;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        await this.sleep(this.random() * BACKOFF_BASE_MS * 2 ** attempt);
      }
    }
  }

  private async attempt(operation: string, body: string): Promise<unknown> {
    const { endpoint } = this;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === '' ? {} : { port: Number(endpoint.port) }),
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': `application/x-amz-json-${this.service.jsonVersion}`,
        'x-amz-target': `${this.service.targetPrefix}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const { status, text } = await post(endpoint, signed.headers, body, this.attemptTimeoutMs);
    if (status === 200) return text === '' ? {} : JSON.parse(text);
    throw errorOf(status, text);
  }
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

function errorOf(status: number, text: string): AwsServiceError {
  let parsed: { __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON (a proxy's page, say): the status says what happened.
  }
  // `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`, or the bare name.
  const type = typeof parsed.__type === 'string' ? parsed.__type : '';
  const name = type.split('#').pop()?.split(':')[0] || `Http${status}Error`;
  const message = parsed.message ?? parsed.Message;
  return new AwsServiceError(name, typeof message === 'string' ? message : `HTTP ${status}`, status);
}

function isRetryable(error: unknown): boolean {
  if (error instanceof AwsServiceError) {
    return error.statusCode >= 500 || error.statusCode === 429 || RETRYABLE_ERRORS.has(error.name);
  }
  // No answer at all: a reset, refused or stalled connection.
  return error instanceof Error && 'code' in error;
}

function post(
  endpoint: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const transport = endpoint.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      endpoint,
      { method: 'POST', headers, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('The AWS call timed out.'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.end(body);
  });
}

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
