import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDeliveryStore } from '../adapters/dynamo/delivery-store';
import type { LocalConfig } from '../config';
import { describeError } from '../logger';
import type { Logger } from '../ports';
import { startApiGatewayServer } from './api-gateway-server';
import { lockDataDir } from './data-dir-lock';
import {
  type DataFormatMarker,
  readDataFormat,
  UnsupportedDataFormatError,
  upgradeDataFormat,
} from './data-format';
import { startEmbeddedDynamoDb } from './embedded-dynamodb';
import { createLocalRuntime, type LocalRuntime } from './runtime';
import { createLocalWorker, type LocalWorker } from './worker';

/** How often local mode deletes items past their retention (DynamoDB's TTL does it on AWS). */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface AdminKey {
  readonly key: string;
  readonly source: 'environment' | 'file' | 'generated';
  readonly file: string;
}

/** Local mode, running: what `npm start` serves, and what `npm run bench:local` measures. */
export interface RunningLocalMode {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly admin: AdminKey;
  readonly runtime: LocalRuntime;
  readonly worker: LocalWorker;
  /** Stops serving, lets the worker finish its batches, closes the store and releases the data directory. */
  stop(): Promise<void>;
}

/**
 * The whole of Hookpost in one process on 127.0.0.1 (README, "Local mode settings"): the
 * data directory locked, a newer data format refused before the store is opened, the store
 * repaired after an unclean stop and brought to the current format (data-format.ts),
 * leases of a dead process taken back, then the worker, the TTL sweeper and the API server.
 */
export async function startLocalMode(config: LocalConfig, logger: Logger): Promise<RunningLocalMode> {
  await mkdir(config.dataDir, { recursive: true });
  // Read before the lock is taken, so that a refusal leaves even the lock file as it was (a
  // dead owner's tells the next start to repair the store); read again under the lock,
  // where no other Hookpost can change it, and that reading counts.
  await readDataFormat(config.dataDir);
  const lock = await lockDataDir(config.dataDir);
  let marker: DataFormatMarker | undefined;
  try {
    marker = await readDataFormat(config.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const admin = await resolveAdminKey(config);

  const dynamo = await startEmbeddedDynamoDb(config.dataDir, { repairIndexes: lock.previousOwnerDied });
  if (dynamo.repair !== undefined) {
    logger.info('the previous run stopped uncleanly: store indexes checked', { ...dynamo.repair });
  }
  const runtime = await createLocalRuntime({
    config,
    dynamoEndpoint: dynamo.endpoint,
    dynamoTransport: dynamo.transport,
    adminKey: admin.key,
    logger,
  });
  try {
    await upgradeDataFormat(
      {
        dataDir: config.dataDir,
        client: runtime.client,
        tables: runtime.tables,
        deliveries: new DynamoDeliveryStore(runtime.doc, runtime.tables.deliveries, {
          retentionDays: config.retentionDays,
        }),
        logger,
      },
      marker,
    );
  } catch (error) {
    runtime.close();
    await dynamo.close();
    // No item of a refused store was written. After any other failure the lock stays, so
    // that the next start takes this one for an unclean stop and checks the store's indexes.
    if (error instanceof UnsupportedDataFormatError) await lock.release();
    throw error;
  }
  const recovered = await runtime.queue.recoverLeases();
  if (recovered > 0) logger.info('took back deliveries left in flight by the previous run', { recovered });

  const worker = createLocalWorker(runtime, { logger, attemptTimeoutMs: config.attemptTimeoutMs });
  worker.start();
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = runtime.sweeper.sweep(new Date()).then(
      (deleted) => deleted > 0 && logger.info('expired items deleted', { deleted }),
      (error: unknown) => logger.error('sweeping expired items failed', describeError(error)),
    );
  };
  sweep();
  const sweepTimer = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweepTimer.unref();
  const server = await startApiGatewayServer({
    handler: runtime.handlers.api,
    port: config.port,
    afterRequest: () => worker.nudge(),
  });

  return {
    url: server.url,
    admin,
    runtime,
    worker,
    stop: async () => {
      clearInterval(sweepTimer);
      await server.close();
      await worker.stop();
      await sweeping;
      runtime.close();
      await dynamo.close();
      await lock.release();
    },
  };
}

/**
 * The admin key: from HOOKPOST_ADMIN_KEY, or generated once and kept in the data
 * directory (readable by this user only) so that a restart does not change it.
 */
async function resolveAdminKey(config: LocalConfig): Promise<AdminKey> {
  const file = join(config.dataDir, 'admin-key');
  if (config.adminKey !== undefined) return { key: config.adminKey, source: 'environment', file };
  try {
    return { key: (await readFile(file, 'utf8')).trim(), source: 'file', file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `hpk_admin_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, source: 'generated', file };
}
