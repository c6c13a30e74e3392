import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isShardedLogKey } from '../../lambdas/adapters/dynamo/message-store';
import { LOCAL_INDEX, localTableNames } from '../../lambdas/adapters/local/local-tables';
import { DATA_FORMAT_VERSION } from '../../lambdas/local/data-format';
import { DynaliteFiles } from '../support/dynalite-files';
import { HookpostProcess } from '../support/hookpost-process';
import { writePreShardingDataDir } from '../support/pre-sharding-data-dir';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_e2e_crash_0123456789abcdef';
const CRASH_ON_LEASE = join(import.meta.dirname, '..', 'support', 'crash-on-lease.mjs');
const CRASH_MID_MIGRATION = join(import.meta.dirname, '..', 'support', 'crash-mid-migration.mjs');
/** Linux counts CPU time in ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/**
 * The crash a chaos run found, replayed on purpose: `npm start` is killed between the
 * index entries and the item of a queue lease (test/support/crash-on-lease.mjs), then
 * started again on the same data directory.
 */
describe('local mode killed in the middle of a store write', () => {
  let dataDir: string;
  let hookpost: HookpostProcess | undefined;
  let receiver: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-crash-e2e-'));
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await hookpost?.stop();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts at once, delivers the message it was leasing, and then idles', async () => {
    const env = { HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY };
    hookpost = await HookpostProcess.start({ ...env, NODE_OPTIONS: `--import ${CRASH_ON_LEASE}` });
    await hookpost.request('POST', '/v1/event-types', KEY, { name: 'invoice.paid' });
    const appId = (await hookpost.request('POST', '/v1/apps', KEY, { name: 'Acme' })).body.id;
    await hookpost.request('POST', `/v1/apps/${appId}/endpoints`, KEY, { url: `${receiver.url}/hook` });
    const sent = await hookpost.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'invoice.paid',
      payload: { n: 1 },
    });
    expect(sent.status).toBe(202);
    await hookpost.gone();

    // The kill left the state the chaos run found: the job's item never leased, its entry leased.
    const jobsTable = localTableNames('hookpost').localJobs;
    const files = await DynaliteFiles.open(join(dataDir, 'dynamodb'));
    try {
      const [job] = await files.items(jobsTable);
      expect(job?.item).toMatchObject({ leased: { BOOL: false }, receiveCount: { N: '0' } });
      expect(await files.indexEntries(jobsTable, LOCAL_INDEX.byDue)).toMatchObject([
        { pk: job?.item.pk, leased: { BOOL: true }, receiveCount: { N: '1' } },
      ]);
    } finally {
      await files.close();
    }
    expect(receiver.requests).toHaveLength(0);

    const restarted = await HookpostProcess.start(env);
    hookpost = restarted;
    await receiver.waitFor(1, 20_000);
    expect(receiver.requests[0]?.headers['webhook-id']).toBe(sent.body.id);
    await eventually(
      () => restarted.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`, KEY),
      (response) => response.body.deliveries[0]?.status === 'succeeded',
    );

    // Before local mode read items instead of index entries, the worker spun on the stale
    // entry's due time at a whole core. Idle, it wakes every few seconds.
    const before = await restarted.cpuTicks();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const ticks = (await restarted.cpuTicks()) - before;
    expect(ticks / (5 * TICKS_PER_SECOND)).toBeLessThan(0.1);
  });

  it('finishes a migration of its data directory killed halfway, losing nothing and keeping nothing twice', async () => {
    const before = await writePreShardingDataDir(dataDir, {
      receiverUrl: receiver.url,
      adminKey: KEY,
      fillerMessages: 7,
    });
    const env = { HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY };
    const format = join(dataDir, 'format.json');

    const killed = await HookpostProcess.start({
      ...env,
      NODE_OPTIONS: `--import ${CRASH_MID_MIGRATION}`,
    }).then(
      (started) => {
        hookpost = started; // it was not killed: afterEach stops it
        return false;
      },
      (error: Error) => /npm start exited/.test(error.message),
    );
    expect(killed).toBe(true);

    // Killed halfway: some items at their new keys, some at their old ones still, every one
    // somewhere, and the marker saying that a migration is under way.
    const halfway = await messageLogKeys(dataDir);
    expect(halfway.filter((key) => isShardedLogKey(key.pk, key.sk)).length).toBeGreaterThan(0);
    expect(halfway.filter((key) => !isShardedLogKey(key.pk, key.sk)).length).toBeGreaterThan(0);
    expect(new Set(halfway.map((key) => key.sk)).size).toBe(before.logItems);
    expect(JSON.parse(await readFile(format, 'utf8'))).toEqual({ version: 1, migratingTo: 2 });
    expect(receiver.requests).toHaveLength(0);

    const restarted = await HookpostProcess.start(env);
    hookpost = restarted;
    const listed = await restarted.request('GET', `/v1/apps/${before.appId}/messages`, KEY);
    expect(listed.body.data.map((message: { id: string }) => message.id)).toEqual(before.messageIds);
    await receiver.waitFor(2, 20_000);
    for (const msgId of [before.retrying, before.unfanned]) {
      await eventually(
        () => restarted.request('GET', `/v1/apps/${before.appId}/messages/${msgId}`, KEY),
        (response) => response.body.deliveries[0]?.status === 'succeeded',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(
      [before.retrying, before.unfanned].sort(),
    );
    await restarted.stop();
    hookpost = undefined;

    const after = await messageLogKeys(dataDir);
    expect(after).toHaveLength(before.logItems);
    expect(after.filter((key) => !isShardedLogKey(key.pk, key.sk))).toEqual([]);
    expect(JSON.parse(await readFile(format, 'utf8'))).toEqual({ version: DATA_FORMAT_VERSION });
  });
});

/** The keys of every item of local mode's messages table, read from the stopped store's files. */
async function messageLogKeys(dataDir: string): Promise<{ pk: string; sk: string }[]> {
  const files = await DynaliteFiles.open(join(dataDir, 'dynamodb'));
  try {
    return (await files.items(localTableNames('hookpost').messages)).map(({ item }) => ({
      pk: String(item.pk?.S),
      sk: String(item.sk?.S),
    }));
  } finally {
    await files.close();
  }
}
