import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type LocalConfig, loadLocalConfig } from '../config';
import { createJsonLogger, describeError } from '../logger';
import { startApiGatewayServer } from './api-gateway-server';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';
import { startEmbeddedDynamoDb } from './embedded-dynamodb';
import { createLocalRuntime } from './runtime';
import { createLocalWorker } from './worker';

/** How often local mode deletes items past their retention (DynamoDB's TTL does it on AWS). */
const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/** `npm start`: the whole of Hookpost in one process on 127.0.0.1 (README, "Local mode settings"). */
async function main(): Promise<void> {
  const config = loadLocalConfig();
  const logger = createJsonLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true });
  const lock = await lockDataDir(config.dataDir);
  const admin = await resolveAdminKey(config);

  const dynamo = await startEmbeddedDynamoDb(config.dataDir, { repairIndexes: lock.previousOwnerDied });
  if (dynamo.repair !== undefined) {
    logger.info('the previous run stopped uncleanly: store indexes checked', { ...dynamo.repair });
  }
  const runtime = await createLocalRuntime({
    config,
    dynamoEndpoint: dynamo.endpoint,
    adminKey: admin.key,
    logger,
  });
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

  // One write, so that whoever waits for the listening line has the key line too.
  const banner = [`Hookpost listening on ${server.url}`];
  if (admin.source === 'generated') banner.push(`Admin key (generated, kept in ${admin.file}): ${admin.key}`);
  if (admin.source === 'file') banner.push(`Admin key (from ${admin.file}): ${admin.key}`);
  banner.push(quickStart(server.url, admin.source === 'environment' ? '$HOOKPOST_ADMIN_KEY' : admin.key));
  console.log(banner.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    clearInterval(sweepTimer);
    await server.close();
    await worker.stop();
    await sweeping;
    runtime.close();
    await dynamo.close();
    await lock.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * The admin key: from HOOKPOST_ADMIN_KEY, or generated once and kept in the data
 * directory (readable by this user only) so that a restart does not change it.
 */
async function resolveAdminKey(
  config: LocalConfig,
): Promise<{ key: string; source: 'environment' | 'file' | 'generated'; file: string }> {
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

function quickStart(url: string, key: string): string {
  return [
    '',
    'Quick start:',
    `  curl -s ${url}/v1/event-types -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"name":"invoice.paid"}'`,
    `  curl -s ${url}/v1/apps -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"name":"Acme"}'`,
    '  (then register an endpoint and send a message: see README.md)',
  ].join('\n');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) console.error(error.message);
  else console.error('Hookpost could not start:', describeError(error));
  process.exit(1);
});
