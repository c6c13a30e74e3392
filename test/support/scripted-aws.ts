import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsHttpRequest } from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import type { AwsEnvironment } from '../../lambdas/config';
import { bodyOf, signatureProblemOf } from './deployed/aws-access';

/** The secret key of {@link ScriptedAws.environment}, which the service checks signatures with. */
export const SCRIPTED_AWS_SECRET = 'test-secret-key';
const REGION = 'eu-west-1';

/** A request the service received. */
export interface ReceivedCall {
  readonly method: string;
  /** The path and query. */
  readonly path: string;
  /** `X-Amz-Target`, for the JSON protocols. */
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies of AWS JSON protocols are read field by field
  readonly body: any;
  /** Why the signature does not hold, or undefined when it does. */
  readonly signatureProblem: string | undefined;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer: the caller's timeout has to act. */
  readonly hang?: boolean;
}

/**
 * An AWS service on 127.0.0.1 that records each request, checks its SigV4 signature (of
 * the service it was told to expect), and answers from a script: the answers in turn, the
 * last one again and again, or an answer computed from the request.
 */
export class ScriptedAws {
  readonly received: ReceivedCall[] = [];
  private answers: readonly ScriptedAnswer[] = [{ status: 200, body: '{}' }];
  private answerFor: ((call: ReceivedCall) => ScriptedAnswer) | undefined;
  private readonly server = http.createServer((request, response) => {
    void (async () => {
      const raw = await bodyOf(request);
      const text = raw.toString('utf8');
      const call: ReceivedCall = {
        method: request.method ?? '',
        path: request.url ?? '',
        target: request.headers['x-amz-target'] as string | undefined,
        contentType: request.headers['content-type'],
        body: text === '' ? undefined : JSON.parse(text),
        signatureProblem: await signatureProblemOf(request, raw, {
          secretAccessKey: SCRIPTED_AWS_SECRET,
          sessionToken: 'session',
          scope: { region: REGION, service: this.expectedService },
        }),
      };
      this.received.push(call);
      const answer = this.answerFor?.(call) ?? this.nextAnswer();
      if (answer === undefined || answer.hang === true) return;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body);
    })();
  });

  /** The SigV4 service name a signature must be scoped to. */
  constructor(public expectedService: string) {}

  /** Answers these in turn from now on, the last one to every later request; forgets what was received. */
  script(...answers: ScriptedAnswer[]): void {
    this.answers = answers;
    this.answerFor = undefined;
    this.received.length = 0;
  }

  /** Answers each request from now on with what `answer` makes of it; forgets what was received. */
  reply(answer: (call: ReceivedCall) => ScriptedAnswer): void {
    this.answerFor = answer;
    this.received.length = 0;
  }

  private nextAnswer(): ScriptedAnswer | undefined {
    const [first, ...rest] = this.answers;
    if (rest.length > 0) this.answers = rest;
    return first;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** An environment whose calls go to this service, signed with the key it checks. */
  environment(secretAccessKey = SCRIPTED_AWS_SECRET): AwsEnvironment {
    return {
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey, sessionToken: 'session' },
      endpointOverride: () => this.url,
    };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The operation of a request: its `X-Amz-Target`'s, or REST-JSON's method and first path segment. */
export function operationOf(request: AwsHttpRequest): string {
  const target = request.headers['x-amz-target'];
  if (target !== undefined) return target.slice(target.lastIndexOf('.') + 1);
  return `${request.method} ${request.url.pathname.split('/')[1] ?? ''}`;
}

/** The body of an AWS error answer of the JSON protocols. */
export const awsError = (type: string, message: string) => JSON.stringify({ __type: type, message });
