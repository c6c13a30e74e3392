import { createLocalStoreClients } from '../lambdas/adapters/dynamo/client';
import { DynamoLocalQueue } from '../lambdas/adapters/local/local-queue';
import { ensureLocalTables, localTableNames } from '../lambdas/adapters/local/local-tables';
import { ConfigError, loadLocalConfig } from '../lambdas/config';
import { DELIVERY_QUEUE_MAX_RECEIVE_COUNT } from '../lambdas/contract/queues';
import { DataDirInUseError, lockDataDir } from '../lambdas/local/data-dir-lock';
import { readDataFormat, UnsupportedDataFormatError } from '../lambdas/local/data-format';
import { startEmbeddedDynamoDb } from '../lambdas/local/embedded-dynamodb';
import { systemClock } from '../lambdas/ports';

/**
 * `npm run local:redrive`, with local mode stopped: puts every delivery task of local
 * mode's dead-letter queue back on its delivery queue (README, "Dead letters"). Local mode
 * then delivers them at its next start, as the AWS queue does after a message move task.
 */
async function main(): Promise<void> {
  const config = loadLocalConfig();
  const lock = await lockDataDir(config.dataDir);
  try {
    // A newer Hookpost's store is not this script's to write; no migration so far changed the job table.
    await readDataFormat(config.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const dynamo = await startEmbeddedDynamoDb(config.dataDir, { repairIndexes: lock.previousOwnerDied });
  const { client, doc } = createLocalStoreClients(dynamo.endpoint);
  try {
    const tables = localTableNames(config.tablePrefix);
    await ensureLocalTables(client, tables);
    const queue = new DynamoLocalQueue({
      doc,
      tableName: tables.localJobs,
      clock: systemClock,
      maxReceiveCount: DELIVERY_QUEUE_MAX_RECEIVE_COUNT,
    });
    const moved = await queue.redriveDeadLetters();
    console.log(
      `${moved} dead-lettered delivery task(s) moved back to the delivery queue of ${config.dataDir}.`,
    );
  } finally {
    client.destroy();
    await dynamo.close();
    await lock.release();
  }
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof DataDirInUseError ||
    error instanceof UnsupportedDataFormatError
  )
    console.error(error.message);
  else console.error('Redrive failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
