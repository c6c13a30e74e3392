import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AccessControl, accessKeyOf, bodyOf, sendAwsError, sendJson } from './aws-access';
import {
  CAPACITY_OPERATIONS,
  capacityOf,
  type RequestMeter,
  sqsBilledRequests,
  WRITE_OPERATIONS,
} from './request-meter';

/**
 * Local stand-ins for the AWS services the functions call, each on 127.0.0.1:
 * - DynamoDB and DynamoDB Streams: a front that checks IAM and passes the call on to AWS's
 *   DynamoDB Local;
 * - SQS: a front that checks IAM, records the delays asked for and shortens them by the
 *   environment's time scale, and passes the call on to the fauxqs emulator;
 * - Secrets Manager and EventBridge Scheduler, which have no emulator: small stubs that
 *   keep the state the stack needs and refuse what the real service refuses.
 * Calls from the test harness itself (creating tables and queues, reading results) use
 * the harness key and are neither checked nor recorded.
 */

/** Alphanumeric, as DynamoDB Local requires of access keys. */
export const HARNESS_ACCESS_KEY = 'HookpostTestHarness';

export interface StandIn {
  readonly url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Sends the request on to `upstream` as it came (the Host header included), and returns the answer. */
function passOn(
  upstream: string,
  request: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const target = new URL(upstream);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, 'content-length': String(body.length) },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: Buffer.concat(chunks) }),
        );
        answer.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function relay(
  response: http.ServerResponse,
  answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
): void {
  const {
    'content-length': _length,
    'transfer-encoding': _encoding,
    connection: _connection,
    ...headers
  } = answer.headers;
  response.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
  response.end(answer.body);
}

/** The operation of a JSON-protocol call (`X-Amz-Target: <Service>.<Operation>`). */
function operationOf(request: http.IncomingMessage): { service: string; operation: string } {
  const target = String(request.headers['x-amz-target'] ?? '');
  const dot = target.lastIndexOf('.');
  return { service: target.slice(0, dot), operation: target.slice(dot + 1) };
}

export interface ArnScope {
  readonly region: string;
  readonly account: string;
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies of AWS JSON protocols are read field by field
type JsonBody = Record<string, any>;

/**
 * A stand-in served over HTTP on 127.0.0.1. A request it fails on is answered as the
 * service's own internal error, so that the caller sees a 500 and the test its cause.
 */
abstract class HttpStandIn<Options> implements StandIn {
  private server: http.Server | undefined;
  private address = '';

  constructor(protected readonly options: Options) {}

  get url(): string {
    return this.address;
  }

  /** Starts listening; answers the stand-in itself, ready. */
  async open(): Promise<this> {
    const { server, url } = await listen((request, response) => {
      void this.receive(request, response).catch((error: unknown) => {
        sendAwsError(response, 500, 'InternalFailure', String(error));
      });
    });
    this.server = server;
    this.address = url;
    return this;
  }

  close(): Promise<void> {
    return this.server === undefined ? Promise.resolve() : closeServer(this.server);
  }

  /** Who decides what callers may do here; its check of the functions' signatures comes first. */
  protected abstract get access(): AccessControl | undefined;

  /** The service name a signature for this service is scoped to. */
  protected abstract readonly signingService: string;

  protected abstract handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    body: Buffer,
  ): Promise<void>;

  private async receive(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await bodyOf(request);
    const problem = await this.access?.signatureProblem(request, body, this.signingService);
    if (problem !== undefined) {
      sendAwsError(response, 403, 'SignatureDoesNotMatch', problem);
      return;
    }
    await this.handle(request, response, body);
  }
}

/** DynamoDB and DynamoDB Streams, IAM-checked, in front of DynamoDB Local. */
interface FrontOptions {
  /** The emulator the calls are passed on to. */
  readonly upstream: string;
  readonly access: AccessControl;
  readonly scope: ArnScope;
  /** Records every call the functions make with what AWS bills it by (the cost benchmark). */
  readonly meter?: RequestMeter;
}

export class DynamoDbFront extends HttpStandIn<FrontOptions> {
  protected readonly signingService = 'dynamodb';
  protected get access(): AccessControl | undefined {
    return this.options.access;
  }

  /** Shard iterators are opaque: remember which stream each one reads. */
  private readonly iteratorStreams = new Map<string, string>();

  static start(options: FrontOptions): Promise<DynamoDbFront> {
    return new DynamoDbFront(options).open();
  }

  protected async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const { options } = this;
    const body = JSON.parse(raw.toString('utf8') || '{}') as JsonBody;
    const { service, operation } = operationOf(request);
    const caller = accessKeyOf(request);
    const streams = service.startsWith('DynamoDBStreams');
    const tableArn = (name: string) =>
      `arn:aws:dynamodb:${options.scope.region}:${options.scope.account}:table/${name}`;
    let resources: string[];
    if (streams) {
      const stream =
        operation === 'GetRecords'
          ? this.iteratorStreams.get(body.ShardIterator)
          : (body.StreamArn as string);
      resources = [stream ?? '*'];
    } else if (body.TableName !== undefined) {
      resources = [
        body.IndexName === undefined
          ? tableArn(body.TableName)
          : `${tableArn(body.TableName)}/index/${body.IndexName}`,
      ];
    } else if (body.RequestItems !== undefined) {
      resources = Object.keys(body.RequestItems).map(tableArn);
    } else if (body.TransactItems !== undefined) {
      throw new Error('Transactions are not emulated here: Hookpost does not use them.');
    } else {
      resources = ['*'];
    }
    if (caller !== HARNESS_ACCESS_KEY) {
      const action = `dynamodb:${operation}`;
      if (!resources.every((resource) => options.access.authorize(caller, action, resource))) {
        sendAwsError(
          response,
          400,
          'com.amazon.coral.service#AccessDeniedException',
          `${caller} may not ${action}`,
        );
        return;
      }
    }
    const metered = options.meter !== undefined && !streams && CAPACITY_OPERATIONS.has(operation);
    const answer = await passOn(
      options.upstream,
      request,
      metered ? Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: 'TOTAL' })) : raw,
    );
    if (options.meter !== undefined && caller !== HARNESS_ACCESS_KEY) {
      const capacity = metered
        ? capacityOf(operation, JSON.parse(answer.body.toString('utf8') || '{}') as JsonBody)
        : { readUnits: 0, writeUnits: 0 };
      // A write refused by its condition is billed at AWS too (at least one unit), without a report here.
      const refusedWrite = metered && answer.status !== 200 && WRITE_OPERATIONS.has(operation);
      options.meter.record({
        service: streams ? 'dynamodb-streams' : 'dynamodb',
        operation,
        caller: options.access.roleOf(caller),
        target: resources[0]?.split('/')[1] ?? '',
        readUnits: capacity.readUnits,
        writeUnits: refusedWrite && capacity.writeUnits === 0 ? 1 : capacity.writeUnits,
        billedRequests: 1,
      });
    }
    if (streams && answer.status === 200) {
      const result = JSON.parse(answer.body.toString('utf8')) as JsonBody;
      const stream =
        operation === 'GetShardIterator' ? body.StreamArn : this.iteratorStreams.get(body.ShardIterator);
      for (const iterator of [result.ShardIterator, result.NextShardIterator]) {
        if (typeof iterator === 'string' && stream !== undefined) this.iteratorStreams.set(iterator, stream);
      }
    }
    relay(response, answer);
  }
}

export interface SentDelay {
  readonly queueArn: string;
  readonly requestedSeconds: number;
  readonly body: string;
}

/** IAM names one action for an SQS call and its batch form. */
const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/**
 * SQS, IAM-checked, in front of fauxqs. Message delays are recorded as asked, then
 * shortened by `delayScale` (at least 1 s when any was asked, so that a retry never
 * overtakes the record of the attempt before it, as the real delay guarantees).
 */
const MAX_DELAY_SECONDS = 900;

export class SqsFront extends HttpStandIn<FrontOptions & { readonly delayScale: number }> {
  protected readonly signingService = 'sqs';
  protected get access(): AccessControl | undefined {
    return this.options.access;
  }

  readonly delays: SentDelay[] = [];
  /** Delays SQS would have refused (none may be asked for). */
  readonly refusedDelays: number[] = [];

  static start(options: FrontOptions & { readonly delayScale: number }): Promise<SqsFront> {
    return new SqsFront(options).open();
  }

  queueArnOf(queueUrl: string, scope: ArnScope): string {
    const name = new URL(queueUrl).pathname.split('/').at(-1);
    return `arn:aws:sqs:${scope.region}:${scope.account}:${name}`;
  }

  protected async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const { options } = this;
    const body = JSON.parse(raw.toString('utf8') || '{}') as JsonBody;
    const { operation } = operationOf(request);
    const caller = accessKeyOf(request);
    const queueArn = typeof body.QueueUrl === 'string' ? this.queueArnOf(body.QueueUrl, options.scope) : '*';
    if (caller !== HARNESS_ACCESS_KEY) {
      const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
      if (!options.access.authorize(caller, action, queueArn)) {
        sendAwsError(response, 400, 'AccessDenied', `${caller} may not ${action} on ${queueArn}`);
        return;
      }
    }
    const shorten = (entry: JsonBody) => {
      const requested = Number(entry.DelaySeconds ?? 0);
      if (requested <= 0) return entry;
      this.delays.push({ queueArn, requestedSeconds: requested, body: entry.MessageBody });
      return { ...entry, DelaySeconds: Math.max(1, Math.round(requested * options.delayScale)) };
    };
    // SQS takes delays of 0 to 900 whole seconds; fauxqs does not check, so the front does.
    const badDelay = (entry: JsonBody) => {
      const delay = entry.DelaySeconds;
      return delay !== undefined && !(Number.isInteger(delay) && delay >= 0 && delay <= MAX_DELAY_SECONDS);
    };
    const refusal = (entry: JsonBody) =>
      `Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${MAX_DELAY_SECONDS}.`;
    if (operation === 'SendMessage' && badDelay(body)) {
      this.refusedDelays.push(Number(body.DelaySeconds));
      sendAwsError(response, 400, 'InvalidParameterValue', refusal(body));
      return;
    }
    let forwarded: JsonBody = body;
    let refusedEntries: JsonBody[] = [];
    if (operation === 'SendMessage') forwarded = shorten(body);
    if (operation === 'SendMessageBatch') {
      const entries = body.Entries as JsonBody[];
      refusedEntries = entries.filter(badDelay);
      this.refusedDelays.push(...refusedEntries.map((entry) => Number(entry.DelaySeconds)));
      forwarded = { ...body, Entries: entries.filter((entry) => !badDelay(entry)).map(shorten) };
    }
    const answer =
      operation === 'SendMessageBatch' && (forwarded.Entries as JsonBody[]).length === 0
        ? { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from('{}') }
        : await passOn(
            options.upstream,
            request,
            Buffer.from(this.toUpstreamUrls(JSON.stringify(forwarded), options.scope)),
          );
    let text = this.fromUpstreamUrls(answer.body.toString('utf8'), options.scope);
    if (refusedEntries.length > 0 && answer.status === 200) {
      // As SQS does: each refused entry is reported in the batch's answer, as the sender's fault.
      const result = JSON.parse(text) as JsonBody;
      result.Failed = [
        ...((result.Failed as JsonBody[] | undefined) ?? []),
        ...refusedEntries.map((entry) => ({
          Id: entry.Id,
          SenderFault: true,
          Code: 'InvalidParameterValue',
          Message: refusal(entry),
        })),
      ];
      result.Successful ??= [];
      text = JSON.stringify(result);
    }
    if (options.meter !== undefined && caller !== HARNESS_ACCESS_KEY) {
      const received =
        operation === 'ReceiveMessage' && answer.status === 200
          ? ((JSON.parse(text) as JsonBody).Messages ?? []).length
          : undefined;
      options.meter.record({
        service: 'sqs',
        operation,
        caller: options.access.roleOf(caller),
        target: queueArn.split(':').at(-1) ?? '',
        readUnits: 0,
        writeUnits: 0,
        billedRequests: sqsBilledRequests(raw.length),
        ...(received === undefined ? {} : { received }),
      });
    }
    relay(response, { ...answer, body: Buffer.from(text) });
  }

  /**
   * fauxqs knows a queue by its full URL, under `sqs.<region>.localhost`; the front hands
   * out URLs on its own address (nothing to resolve) and translates both ways.
   */
  private upstreamBase(scope: ArnScope): string {
    const { port } = new URL(this.url);
    return `http://sqs.${scope.region}.localhost:${port}/`;
  }

  private toUpstreamUrls(text: string, scope: ArnScope): string {
    return text.replaceAll(`${this.url}/`, this.upstreamBase(scope));
  }

  private fromUpstreamUrls(text: string, scope: ArnScope): string {
    return text.replaceAll(this.upstreamBase(scope), `${this.url}/`);
  }
}

/** Secrets Manager: the stack's secrets, readable with `secretsmanager:GetSecretValue`. */
export class SecretsManagerStub extends HttpStandIn<{ readonly access: AccessControl }> {
  protected readonly signingService = 'secretsmanager';
  protected get access(): AccessControl | undefined {
    return this.options.access;
  }

  private readonly secrets = new Map<string, { name: string; value: string; versionId: string }>();

  static start(options: { readonly access: AccessControl }): Promise<SecretsManagerStub> {
    return new SecretsManagerStub(options).open();
  }

  /** Creates or replaces a secret's value (as a deploy, or a rotation, would). */
  put(arn: string, name: string, value: string): void {
    this.secrets.set(arn, { name, value, versionId: randomUUID() });
  }

  value(arn: string): string {
    const secret = this.secrets.get(arn);
    if (secret === undefined) throw new Error(`No secret ${arn}`);
    return secret.value;
  }

  protected async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const { access } = this.options;
    const body = JSON.parse(raw.toString('utf8') || '{}') as JsonBody;
    const { operation } = operationOf(request);
    const caller = accessKeyOf(request);
    if (operation !== 'GetSecretValue') {
      sendAwsError(response, 400, 'InvalidRequestException', `${operation} is not emulated here.`);
      return;
    }
    const entry = [...this.secrets.entries()].find(
      ([arn, secret]) => arn === body.SecretId || secret.name === body.SecretId,
    );
    if (entry === undefined) {
      sendAwsError(
        response,
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
      return;
    }
    const [arn, secret] = entry;
    if (caller !== HARNESS_ACCESS_KEY && !access.authorize(caller, 'secretsmanager:GetSecretValue', arn)) {
      sendAwsError(response, 400, 'AccessDeniedException', `${caller} may not read ${arn}`);
      return;
    }
    sendJson(response, 200, {
      ARN: arn,
      Name: secret.name,
      SecretString: secret.value,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Date.now() / 1000,
    });
  }
}

export interface ScheduleRecord {
  readonly name: string;
  readonly groupName: string;
  readonly expression: string;
  readonly at: Date;
  readonly targetArn: string;
  readonly roleArn: string;
  readonly input: string;
  readonly deadLetterArn: string | undefined;
  fired: boolean;
  /** Why the target could not be reached, when it could not. */
  failure?: string;
}

const SCHEDULE_NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT_EXPRESSION = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

/**
 * EventBridge Scheduler, one-time schedules only (all Hookpost makes): CreateSchedule with
 * the service's documented limits (names of at most 64 of [0-9a-zA-Z-_.], an existing
 * group, `at(yyyy-mm-ddThh:mm:ss)`, a valid time zone, a flexible time window, a target
 * with a role, the retry policy's bounds), ConflictException for a name taken in the
 * group, `scheduler:CreateSchedule` and `iam:PassRole` checked for the caller. When due
 * (the wait shortened by `delayScale`), it assumes the target's role, as the service does,
 * and puts the target input on the target queue with that role's credentials; with
 * ActionAfterCompletion DELETE the schedule is then gone.
 */
export interface SchedulerOptions {
  readonly access: AccessControl;
  readonly scope: ArnScope;
  readonly groups: ReadonlySet<string>;
  readonly delayScale: number;
  /** Puts a message on a queue as the given role (through the SQS front, so IAM applies). */
  readonly sendToQueue: (queueArn: string, body: string, roleArn: string) => Promise<void>;
}

export class SchedulerStub extends HttpStandIn<SchedulerOptions> {
  protected readonly signingService = 'scheduler';
  protected get access(): AccessControl | undefined {
    return this.options.access;
  }

  readonly schedules: ScheduleRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  static start(options: SchedulerOptions): Promise<SchedulerStub> {
    return new SchedulerStub(options).open();
  }

  override async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await super.close();
  }

  protected async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const body = JSON.parse(raw.toString('utf8') || '{}') as JsonBody;
    const match = /^\/schedules\/([^/?]+)/.exec(request.url ?? '');
    if (request.method !== 'POST' || match?.[1] === undefined) {
      sendAwsError(
        response,
        400,
        'ValidationException',
        `${request.method} ${request.url} is not emulated here.`,
      );
      return;
    }
    const name = decodeURIComponent(match[1]);
    const groupName = (body.GroupName as string | undefined) ?? 'default';
    const problem = this.validate(name, groupName, body);
    if (problem !== undefined) {
      sendAwsError(response, 400, 'ValidationException', problem);
      return;
    }
    if (!this.options.groups.has(groupName)) {
      sendAwsError(response, 404, 'ResourceNotFoundException', `Schedule group ${groupName} does not exist.`);
      return;
    }
    const caller = accessKeyOf(request);
    const { region, account } = this.options.scope;
    const scheduleArn = `arn:aws:scheduler:${region}:${account}:schedule/${groupName}/${name}`;
    const roleArn = body.Target.RoleArn as string;
    const permitted =
      this.options.access.authorize(caller, 'scheduler:CreateSchedule', scheduleArn) &&
      this.options.access.authorize(caller, 'iam:PassRole', roleArn, {
        'iam:PassedToService': 'scheduler.amazonaws.com',
      });
    if (!permitted) {
      sendAwsError(response, 403, 'AccessDeniedException', `${caller} may not create ${scheduleArn}`);
      return;
    }
    if (
      this.schedules.some(
        (schedule) => schedule.name === name && schedule.groupName === groupName && !schedule.fired,
      )
    ) {
      sendAwsError(response, 409, 'ConflictException', `Schedule ${name} already exists.`);
      return;
    }
    const expression = body.ScheduleExpression as string;
    const at = new Date(`${AT_EXPRESSION.exec(expression)?.[1]}Z`);
    const schedule: ScheduleRecord = {
      name,
      groupName,
      expression,
      at,
      targetArn: body.Target.Arn,
      roleArn,
      input: body.Target.Input,
      deadLetterArn: body.Target.DeadLetterConfig?.Arn,
      fired: false,
    };
    this.schedules.push(schedule);
    const waitMs = Math.max(0, (at.getTime() - Date.now()) * this.options.delayScale);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.fire(schedule, scheduleArn);
    }, waitMs);
    this.timers.add(timer);
    sendJson(response, 200, { ScheduleArn: scheduleArn });
  }

  private validate(name: string, groupName: string, body: JsonBody): string | undefined {
    if (!SCHEDULE_NAME.test(name)) return `Name ${name} must be 1 to 64 of [0-9a-zA-Z-_.].`;
    if (!SCHEDULE_NAME.test(groupName)) return `GroupName ${groupName} must be 1 to 64 of [0-9a-zA-Z-_.].`;
    const expression = String(body.ScheduleExpression ?? '');
    if (!AT_EXPRESSION.test(expression)) {
      return `ScheduleExpression ${expression} is not at(yyyy-mm-ddThh:mm:ss) (only one-time schedules are emulated).`;
    }
    if (body.ScheduleExpressionTimezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: body.ScheduleExpressionTimezone });
      } catch {
        return `ScheduleExpressionTimezone ${body.ScheduleExpressionTimezone} is not a time zone.`;
      }
    }
    const window = body.FlexibleTimeWindow;
    if (window?.Mode !== 'OFF' && window?.Mode !== 'FLEXIBLE')
      return 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.';
    if (
      window.Mode === 'FLEXIBLE' &&
      !(window.MaximumWindowInMinutes >= 1 && window.MaximumWindowInMinutes <= 1440)
    ) {
      return 'FlexibleTimeWindow.MaximumWindowInMinutes must be 1 to 1440 when FLEXIBLE.';
    }
    const target = body.Target;
    if (typeof target?.Arn !== 'string' || typeof target.RoleArn !== 'string')
      return 'Target needs an Arn and a RoleArn.';
    if (target.Arn.length > 1600) return 'Target.Arn is longer than 1600 characters.';
    if (!/^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(target.RoleArn))
      return `Target.RoleArn ${target.RoleArn} is not a role ARN.`;
    if (target.Input !== undefined && (typeof target.Input !== 'string' || target.Input.length === 0)) {
      return 'Target.Input must be a string of at least one character.';
    }
    const retry = target.RetryPolicy;
    if (retry !== undefined) {
      if (!(retry.MaximumEventAgeInSeconds >= 60 && retry.MaximumEventAgeInSeconds <= 86_400)) {
        return 'RetryPolicy.MaximumEventAgeInSeconds must be 60 to 86400.';
      }
      if (!(retry.MaximumRetryAttempts >= 0 && retry.MaximumRetryAttempts <= 185)) {
        return 'RetryPolicy.MaximumRetryAttempts must be 0 to 185.';
      }
    }
    if (
      body.ActionAfterCompletion !== undefined &&
      !['NONE', 'DELETE'].includes(body.ActionAfterCompletion)
    ) {
      return 'ActionAfterCompletion must be NONE or DELETE.';
    }
    if (body.Description !== undefined && String(body.Description).length > 512)
      return 'Description is longer than 512.';
    return undefined;
  }

  private async fire(schedule: ScheduleRecord, scheduleArn: string): Promise<void> {
    schedule.fired = true;
    const { account } = this.options.scope;
    if (
      !this.options.access.mayAssume(schedule.roleArn, 'scheduler.amazonaws.com', {
        'aws:SourceAccount': account,
        'aws:SourceArn': scheduleArn,
      })
    ) {
      schedule.failure = 'the scheduler could not assume the target role';
      return;
    }
    try {
      await this.options.sendToQueue(schedule.targetArn, schedule.input, schedule.roleArn);
    } catch (error) {
      schedule.failure = String(error);
      if (schedule.deadLetterArn !== undefined) {
        await this.options
          .sendToQueue(schedule.deadLetterArn, schedule.input, schedule.roleArn)
          .catch(() => {});
      }
    }
  }
}

export interface StackDescription {
  readonly stackName: string;
  readonly stackId: string;
  readonly outputs: Readonly<Record<string, string>>;
}

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * CloudFormation, for what an operator's tools read after a deploy: DescribeStacks (the
 * awsQuery protocol: a form-encoded request, an XML answer) of the deployed stack.
 */
export class CloudFormationStub extends HttpStandIn<readonly StackDescription[]> {
  protected readonly signingService = 'cloudformation';
  protected get access(): AccessControl | undefined {
    return undefined;
  }

  static start(stacks: readonly StackDescription[]): Promise<CloudFormationStub> {
    return new CloudFormationStub(stacks).open();
  }

  protected async handle(
    _request: http.IncomingMessage,
    response: http.ServerResponse,
    raw: Buffer,
  ): Promise<void> {
    const form = new URLSearchParams(raw.toString('utf8'));
    const stack = this.options.find((candidate) => candidate.stackName === form.get('StackName'));
    if (form.get('Action') !== 'DescribeStacks' || stack === undefined) {
      response.writeHead(400, { 'content-type': 'text/xml' });
      response.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(String(form.get('StackName')))} does not exist</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const outputs = Object.entries(stack.outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`,
      )
      .join('');
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
        `<StackName>${xml(stack.stackName)}</StackName><StackId>${xml(stack.stackId)}</StackId>` +
        `<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>${new Date().toISOString()}</CreationTime>` +
        `<Outputs>${outputs}</Outputs>` +
        `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  }
}
