import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStoreClients } from '../../lambdas/adapters/dynamo/client';
import { isShardedLogKey } from '../../lambdas/adapters/dynamo/message-store';
import { createTableInput, ensureTable } from '../../lambdas/adapters/dynamo/tables';
import { localTableNames } from '../../lambdas/adapters/local/local-tables';
import { loadLocalConfig } from '../../lambdas/config';
import { TABLES } from '../../lambdas/contract/tables';
import { DATA_FORMAT_VERSION, UnsupportedDataFormatError } from '../../lambdas/local/data-format';
import { startEmbeddedDynamoDb } from '../../lambdas/local/embedded-dynamodb';
import { type RunningLocalMode, startLocalMode } from '../../lambdas/local/local-mode';
import { createJsonLogger } from '../../lambdas/logger';
import { writePreShardingDataDir } from '../support/pre-sharding-data-dir';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_data_format_0123456789abcdef';
const MIGRATED = /^data directory migrated/;
/** Above Linux's largest pid (2^22): no process has it. */
const DEAD_PID = 9_999_999;

/**
 * Local mode on data directories written by other versions of Hookpost
 * (lambdas/local/data-format.ts): one from before the sharded message log is migrated and
 * serves all it held through the HTTP API; an unmarked one is marked; one from a newer
 * Hookpost is refused untouched, and so is one too old to migrate. A migration killed
 * halfway is in test/e2e/crash-recovery.test.ts.
 */
describe('the data directory’s format', () => {
  let dataDir: string;
  let receiver: Receiver;
  let running: RunningLocalMode | undefined;
  let logLines: string[];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-format-'));
    receiver = await Receiver.start();
    logLines = [];
  });
  afterEach(async () => {
    await stop();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const config = loadLocalConfig({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY, PORT: '0' });
    running = await startLocalMode(
      config,
      createJsonLogger('info', (line) => logLines.push(line)),
    );
    return running;
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${running?.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
  };
  const marker = async () => JSON.parse(await readFile(join(dataDir, 'format.json'), 'utf8'));
  const logged = (pattern: RegExp) =>
    logLines.map((line) => JSON.parse(line)).filter((entry) => pattern.test(entry.message));

  it('migrates a directory from before the sharded log: its messages listed, its eventId deduplicated, its pending deliveries delivered once', async () => {
    const before = await writePreShardingDataDir(dataDir, { receiverUrl: receiver.url, adminKey: KEY });

    const local = await start();

    expect(await marker()).toEqual({ version: DATA_FORMAT_VERSION });
    expect(logged(MIGRATED)).toMatchObject([
      {
        from: 1,
        to: 2,
        messages: before.messageIds.length,
        eventIdClaims: 1,
        attemptRequests: 1,
        otherItems: 0,
        foundAtNewKey: 0,
      },
      { from: 2, to: 3, failedDeliveries: 0 },
    ]);
    const listed = await request('GET', `/v1/apps/${before.appId}/messages`);
    expect(listed.body.data.map((message: { id: string }) => message.id)).toEqual(before.messageIds);

    const replay = await request('POST', `/v1/apps/${before.appId}/messages`, {
      eventType: before.delivered.eventType,
      eventId: before.delivered.eventId,
      payload: { sentAgain: true },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(before.delivered.msgId);

    // The retry reads its message back by its key; the unfanned message is fanned out once.
    await receiver.waitFor(2);
    for (const msgId of [before.retrying, before.unfanned]) {
      await eventually(
        () => request('GET', `/v1/apps/${before.appId}/messages/${msgId}`),
        (response) => response.body.deliveries[0]?.status === 'succeeded',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests.map((received) => received.headers['webhook-id']).sort()).toEqual(
      [before.retrying, before.unfanned].sort(),
    );

    const { Items = [] } = await local.runtime.doc.scan({
      TableName: local.runtime.tables.messages,
      ConsistentRead: true,
    });
    expect(Items).toHaveLength(before.logItems);
    expect(Items.filter((item) => !isShardedLogKey(item.pk, item.sk))).toEqual([]);
  });

  it('marks a new directory with the current version', async () => {
    await start();
    expect(await marker()).toEqual({ version: DATA_FORMAT_VERSION });
    await stop();
    await start();
    expect(logged(MIGRATED)).toEqual([]);
  });

  it('brings an unmarked directory already in the sharded layout up to date without moving its log', async () => {
    await start();
    await request('POST', '/v1/event-types', { name: 'invoice.paid' });
    const appId = (await request('POST', '/v1/apps', { name: 'Acme' })).body.id;
    const sent = await request('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.paid',
      payload: {},
    });
    await stop();
    // As the Hookpost of the sharded log before the marker existed left it.
    await rm(join(dataDir, 'format.json'));

    await start();

    expect(await marker()).toEqual({ version: DATA_FORMAT_VERSION });
    expect(logged(MIGRATED)).toMatchObject([{ from: 2, to: 3, failedDeliveries: 0 }]);
    const listed = await request('GET', `/v1/apps/${appId}/messages`);
    expect(listed.body.data.map((message: { id: string }) => message.id)).toEqual([sent.body.id]);
  });

  it('marks the failed deliveries of a directory from before failure markers, so that a recovery finds them', async () => {
    await start();
    await request('POST', '/v1/event-types', { name: 'invoice.paid' });
    const appId = (await request('POST', '/v1/apps', { name: 'Acme' })).body.id;
    const endpointId = (await request('POST', `/v1/apps/${appId}/endpoints`, { url: receiver.url })).body.id;
    const sent = await request('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.paid',
      payload: {},
    });
    await receiver.waitFor(1);
    await eventually(
      () => request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`),
      (response) => response.body.deliveries[0]?.status === 'succeeded',
    );
    await stop();
    // As a Hookpost of version 2 left a delivery that failed: its state says so, no marker does.
    const store = await startEmbeddedDynamoDb(dataDir);
    const { client, doc } = createLocalStoreClients(store.endpoint);
    const tables = localTableNames(loadLocalConfig({}).tablePrefix);
    await doc.update({
      TableName: tables.deliveries,
      Key: { pk: sent.body.id, sk: `D#${endpointId}` },
      UpdateExpression: 'SET #status = :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'failed' },
    });
    client.destroy();
    await store.close();
    await writeFile(join(dataDir, 'format.json'), JSON.stringify({ version: 2 }));

    await start();
    expect(logged(MIGRATED)).toMatchObject([{ from: 2, to: 3, failedDeliveries: 1 }]);
    const recovered = await request('POST', `/v1/apps/${appId}/endpoints/${endpointId}/recover`, {
      since: '2020-01-01T00:00:00Z',
    });
    expect(recovered.status).toBe(202);
    await receiver.waitFor(2);
    expect(receiver.requests.map((received) => received.headers['webhook-id'])).toEqual([
      sent.body.id,
      sent.body.id,
    ]);
  });

  it.each([
    {
      marker: { version: DATA_FORMAT_VERSION + 1 },
      says: `data format version ${DATA_FORMAT_VERSION + 1};`,
    },
    {
      marker: { version: DATA_FORMAT_VERSION, migratingTo: DATA_FORMAT_VERSION + 1 },
      says: `data format version ${DATA_FORMAT_VERSION + 1}, a migration to it begun and not finished;`,
    },
  ])(
    'refuses a directory written by a newer Hookpost ($marker) and leaves every file of it as it was',
    async ({ marker: newer, says }) => {
      await writePreShardingDataDir(dataDir, { receiverUrl: receiver.url, adminKey: KEY });
      await writeFile(join(dataDir, 'format.json'), JSON.stringify(newer));
      // That Hookpost was killed: its lock tells the next start to repair the store, and must stay.
      await writeFile(join(dataDir, 'hookpost.pid'), `${DEAD_PID}\n`);
      const files = await filesOf(dataDir);

      const refused = start();

      await expect(refused).rejects.toThrow(UnsupportedDataFormatError);
      await expect(refused).rejects.toThrow(`${dataDir} was written by a newer Hookpost (${says}`);
      expect(await filesOf(dataDir)).toEqual(files);
    },
  );

  it('refuses a directory older than any it can migrate, without marking it', async () => {
    // Before endpoints listed their attempts, the deliveries table had no byEndpoint index.
    const store = await startEmbeddedDynamoDb(dataDir);
    const { client } = createLocalStoreClients(store.endpoint);
    await ensureTable(
      client,
      createTableInput(localTableNames(loadLocalConfig({}).tablePrefix).deliveries, {
        ...TABLES.deliveries,
        indexes: {},
      }),
    );
    client.destroy();
    await store.close();

    await expect(start()).rejects.toThrow(/written by a Hookpost too old for this one to migrate/);
    await expect(readFile(join(dataDir, 'format.json'))).rejects.toThrow(/ENOENT/);
  });
});

/** Every file under `directory` with a hash of its content: what a refusal must leave as it was. */
async function filesOf(directory: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return files;
}
