import { chmod, mkdir } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { InProcessStoreTransport } from './in-process-transport';
import { type IndexRepairReport, repairSecondaryIndexes } from './index-repair';

export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The same store without the socket, for this process's own clients (in-process-transport.ts). */
  readonly transport: InProcessStoreTransport;
  /** What the start-up repair found, when one ran. */
  readonly repair?: IndexRepairReport;
  close(): Promise<void>;
}

export interface EmbeddedDynamoDbOptions {
  /**
   * The previous process stopped uncleanly: make the secondary indexes agree with the
   * items before serving (see index-repair.ts). Only with a data directory.
   */
  readonly repairIndexes?: boolean;
}

/**
 * dynalite, a DynamoDB-compatible server on LevelDB, in this process and on loopback only.
 * With a directory the data survives restarts; without one it lives in memory (tests).
 */
export async function startEmbeddedDynamoDb(
  dataDir: string | undefined,
  options: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> {
  let path: string | undefined;
  let repair: IndexRepairReport | undefined;
  if (dataDir !== undefined) {
    path = join(dataDir, 'dynamodb');
    // The store holds endpoints' signing secrets: its files are for this user alone, as the
    // admin key's file is (local-mode.ts). A directory made before this was so is closed too.
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, 0o700);
    if (options.repairIndexes === true) repair = await repairSecondaryIndexes(path);
  }
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const [listener] = server.listeners('request') as RequestListener[];
  if (listener === undefined)
    throw new Error('dynalite answers no requests: its request listener is missing.');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    transport: new InProcessStoreTransport(listener),
    repair,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
