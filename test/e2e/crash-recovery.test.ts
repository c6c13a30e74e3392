import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_INDEX, localTableNames } from '../../lambdas/adapters/local/local-tables';
import { DynaliteFiles } from '../support/dynalite-files';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_e2e_crash_0123456789abcdef';
const CRASH_ON_LEASE = join(import.meta.dirname, '..', 'support', 'crash-on-lease.mjs');
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
});
