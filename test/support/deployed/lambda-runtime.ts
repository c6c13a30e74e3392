import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { ROLE_CREDENTIALS } from './aws-access';

/**
 * Lambda's side of a deployed function, offline: each execution environment is a plain
 * Node.js process started in the function's asset directory with the environment the
 * template gives the function, the variables the Lambda service sets, the credentials of
 * the function's role, and the endpoints of the local stand-ins for AWS. Environments are
 * created on demand and reused, one invocation at a time each, as Lambda does; a timeout
 * ends the environment.
 */

export interface FunctionDeployment {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The template's `Handler`, e.g. `index.handler`. */
  readonly handler: string;
  /** The directory of the function's code asset. */
  readonly taskRoot: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** The template's `Environment.Variables`, every reference resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** The role the function runs as: the stand-ins for AWS tell callers apart by this access key. */
  readonly accessKeyId: string;
  /** The template's `LoggingConfig.ApplicationLogLevel` (Lambda's default, INFO, when unset). */
  readonly applicationLogLevel: string;
}

/** Lambda's application log levels, finest first. */
const APPLICATION_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/**
 * Whether Lambda's log-level filter passes one line of the function's output (JSON log
 * format): by the line's `level`, and as INFO when it has none, is not JSON or names no
 * level Lambda knows.
 */
export function passesLambdaLogFilter(line: string, applicationLogLevel: string): boolean {
  let level = 'INFO';
  try {
    const parsed: unknown = JSON.parse(line);
    const named =
      typeof parsed === 'object' && parsed !== null ? (parsed as { level?: unknown }).level : undefined;
    if (typeof named === 'string' && APPLICATION_LOG_LEVELS.includes(named.toUpperCase())) {
      level = named.toUpperCase();
    }
  } catch {
    // Not JSON: Lambda counts it as INFO.
  }
  return APPLICATION_LOG_LEVELS.indexOf(level) >= APPLICATION_LOG_LEVELS.indexOf(applicationLogLevel);
}

export interface NetworkRefusal {
  readonly function: string;
  readonly kind: 'resolve' | 'connect';
  readonly target: string;
}

export interface LambdaHost {
  readonly region: string;
  /** Variables that point the functions' AWS clients at the local stand-ins and set up the network guard. */
  readonly harnessEnvironment: Readonly<Record<string, string>>;
  /** Where refused connections are counted. */
  readonly refusals: NetworkRefusal[];
  /** Echo function output to the test's output (HOOKPOST_TEST_ECHO_LOGS=1). */
  readonly echoLogs: boolean;
}

export type InvokeOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string } };

const CHILD = new URL('./lambda-runtime-child.mjs', import.meta.url).pathname;
const GUARD = new URL('./network-guard.mjs', import.meta.url).pathname;
const MAX_ENVIRONMENTS = 10;

class ExecutionEnvironment {
  private readonly pending = new Map<string, (outcome: InvokeOutcome) => void>();
  private exited = false;
  /** The environment's peak resident memory, as its last invocation reported it. */
  maxRssKb = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly deployment: FunctionDeployment,
  ) {
    child.on(
      'message',
      (message: { type: string; id?: string; result?: unknown; error?: never; maxRssKb?: number }) => {
        if (message.type !== 'result' || message.id === undefined) return;
        this.maxRssKb = Math.max(this.maxRssKb, message.maxRssKb ?? 0);
        const settle = this.pending.get(message.id);
        this.pending.delete(message.id);
        settle?.(
          message.error === undefined
            ? { ok: true, result: message.result }
            : { ok: false, error: message.error },
        );
      },
    );
    child.once('exit', () => {
      this.exited = true;
      for (const settle of this.pending.values()) {
        settle({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: 'The environment exited.' },
        });
      }
      this.pending.clear();
    });
  }

  static start(
    deployment: FunctionDeployment,
    host: LambdaHost,
    logs: string[],
  ): Promise<ExecutionEnvironment> {
    const lambdaEnvironment = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_REGION: host.region,
      AWS_DEFAULT_REGION: host.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${deployment.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: deployment.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployment.memorySize),
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: deployment.applicationLogLevel,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${deployment.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      LAMBDA_TASK_ROOT: deployment.taskRoot,
      AWS_ACCESS_KEY_ID: deployment.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ROLE_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: ROLE_CREDENTIALS.sessionToken,
    };
    const child = fork(CHILD, [deployment.taskRoot, deployment.handler], {
      cwd: deployment.taskRoot,
      execArgv: ['--import', GUARD],
      env: { ...lambdaEnvironment, ...host.harnessEnvironment, ...deployment.environment },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (!passesLambdaLogFilter(line, deployment.applicationLogLevel)) return;
        logs.push(line);
        if (host.echoLogs) process.stderr.write(`[${deployment.logicalId}] ${line}\n`);
      });
    }
    child.on('message', (message: { type: string; kind?: 'resolve' | 'connect'; target?: string }) => {
      if (message.type === 'network-guard' && message.kind !== undefined && message.target !== undefined) {
        host.refusals.push({ function: deployment.logicalId, kind: message.kind, target: message.target });
      }
    });
    return new Promise((resolve, reject) => {
      child.on('message', function ready(message: { type: string; error?: { errorMessage: string } }) {
        if (message.type === 'ready') {
          child.off('message', ready);
          resolve(new ExecutionEnvironment(child, deployment));
        } else if (message.type === 'init-error') {
          reject(new Error(`${deployment.logicalId} failed to initialize: ${message.error?.errorMessage}`));
        }
      });
      child.once('exit', (code) =>
        reject(new Error(`${deployment.logicalId} exited with ${code} while starting`)),
      );
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  invoke(event: unknown): Promise<InvokeOutcome> {
    const id = randomUUID();
    const timeoutMs = this.deployment.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.child.kill('SIGKILL');
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${timeoutMs / 1000} seconds`,
          },
        });
      }, timeoutMs);
      this.pending.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      this.child.send({ type: 'invoke', id, event, timeoutMs, functionArn: this.deployment.arn });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** A deployed function: invoke it as the Lambda service would. */
export class EmulatedFunction {
  /** Every line the function's environments wrote (what CloudWatch Logs would hold). */
  readonly logs: string[] = [];
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly environments = new Set<ExecutionEnvironment>();
  private waiting: (() => void)[] = [];
  private starting = 0;
  invocations = 0;
  /** The invocations' durations, each rounded up to the millisecond as Lambda bills them. */
  billedMs = 0;
  /** The highest peak resident memory of any of its environments, in MB (Lambda's "Max Memory Used"). */
  peakMemoryMb = 0;

  constructor(
    readonly deployment: FunctionDeployment,
    private readonly host: LambdaHost,
  ) {}

  async invoke(event: unknown): Promise<InvokeOutcome> {
    const environment = await this.acquire();
    this.invocations++;
    const started = performance.now();
    try {
      return await environment.invoke(event);
    } finally {
      this.billedMs += Math.ceil(performance.now() - started);
      this.peakMemoryMb = Math.max(this.peakMemoryMb, Math.ceil(environment.maxRssKb / 1024));
      this.release(environment);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.environments].map((environment) => environment.stop()));
    this.environments.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      const idle = this.idle.pop();
      if (idle?.alive) return idle;
      if (idle !== undefined) {
        this.environments.delete(idle);
        continue;
      }
      if (this.environments.size + this.starting < MAX_ENVIRONMENTS) {
        this.starting++;
        try {
          const environment = await ExecutionEnvironment.start(this.deployment, this.host, this.logs);
          this.environments.add(environment);
          return environment;
        } finally {
          this.starting--;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(environment: ExecutionEnvironment): void {
    if (environment.alive) this.idle.push(environment);
    else this.environments.delete(environment);
    const next = this.waiting.shift();
    next?.();
  }
}
