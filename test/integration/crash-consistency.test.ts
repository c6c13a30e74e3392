import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredItem } from 'dynalite/db/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStoreClients } from '../../lambdas/adapters/dynamo/client';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamo/message-store';
import { DynamoLocalQueue } from '../../lambdas/adapters/local/local-queue';
import { DynamoLocalStream } from '../../lambdas/adapters/local/local-stream';
import {
  ensureLocalTables,
  LOCAL_INDEX,
  localTableNames,
  NEW_MESSAGE_MARKER,
} from '../../lambdas/adapters/local/local-tables';
import { DELIVERY_QUEUE_MAX_RECEIVE_COUNT } from '../../lambdas/contract/queues';
import type { DeliveryTask } from '../../lambdas/core/model';
import { lockDataDir } from '../../lambdas/local/data-dir-lock';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../lambdas/local/embedded-dynamodb';
import { DynaliteFiles } from '../support/dynalite-files';
import { aMessage, aTask, ManualClock } from '../support/fixtures';

/**
 * dynalite writes an item's index entries first and the item last, in separate steps: a
 * process killed in between leaves them disagreeing (lambdas/local/index-repair.ts). These
 * tests leave the store's files exactly so, then check that local mode's stand-ins act
 * only on items (never on an index entry alone) and that the start-up repair finds every
 * item again.
 */
const tables = localTableNames('crash');
const VISIBILITY_MS = 60_000;

describe('local mode after a kill in the middle of a store write', () => {
  let dataDir: string;
  let clock: ManualClock;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-crash-'));
    clock = new ManualClock();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs `use` against the data directory's store, repaired first when asked. */
  async function withStore<T>(
    options: { readonly repairIndexes: boolean },
    use: (store: {
      queue: DynamoLocalQueue;
      stream: DynamoLocalStream;
      messages: DynamoMessageStore;
    }) => Promise<T>,
  ): Promise<{ result: T; db: EmbeddedDynamoDb }> {
    const db = await startEmbeddedDynamoDb(dataDir, options);
    const { client, doc } = createLocalStoreClients(db.endpoint);
    try {
      await ensureLocalTables(client, tables);
      const queue = new DynamoLocalQueue({
        doc,
        tableName: tables.localJobs,
        clock,
        maxReceiveCount: DELIVERY_QUEUE_MAX_RECEIVE_COUNT,
      });
      const stream = new DynamoLocalStream(client, tables.messages);
      const messages = new DynamoMessageStore(doc, tables.messages, {
        retentionDays: 30,
        newMessageMarker: NEW_MESSAGE_MARKER,
      });
      return { result: await use({ queue, stream, messages }), db };
    } finally {
      client.destroy();
      await db.close();
    }
  }

  async function editFiles(edit: (files: DynaliteFiles) => Promise<void>): Promise<void> {
    const files = await DynaliteFiles.open(join(dataDir, 'dynamodb'));
    try {
      await edit(files);
    } finally {
      await files.close();
    }
  }

  const endpointsOf = (received: readonly { body: string }[]) =>
    received.map((message) => (JSON.parse(message.body) as DeliveryTask).endpointId).sort();

  it('a job whose lease was half-written is not lost, and its stale entry is never acted on', async () => {
    const now = clock.now().getTime();
    await withStore({ repairIndexes: false }, async ({ queue }) => {
      await queue.send([aTask(1, 'ep_half_leased')]);
      await queue.send([aTask(1, 'ep_untouched')]);
    });

    // As reported from a chaos run: the lease's entries were written (leased, due when the
    // lease ran out, long ago), the item was not (never leased, due now).
    await editFiles(async (files) => {
      const job = (await files.items(tables.localJobs)).find(({ item }) =>
        String(item.body?.S).includes('ep_half_leased'),
      );
      if (job === undefined) throw new Error('the job to break was not written');
      const leased: StoredItem = {
        ...job.item,
        leased: { BOOL: true },
        receiveCount: { N: '1' },
        dueAt: { N: String(now - 10_000) },
      };
      await files.deleteIndexEntriesOf(tables.localJobs, job.item);
      await files.writeIndexEntriesOnly(tables.localJobs, leased);
      // And an entry whose item was never written at all, due earliest of all.
      await files.writeIndexEntriesOnly(tables.localJobs, {
        ...job.item,
        pk: { S: 'job-never-written' },
        dueAt: { N: String(now - 20_000) },
      });
    });

    await withStore({ repairIndexes: false }, async ({ queue }) => {
      // The entries say "due 20 s ago"; no job there can be taken, so that is not when work is due.
      expect(await queue.nextDueAt()).toBe(now);
      expect(endpointsOf(await queue.receive(10, VISIBILITY_MS))).toEqual(['ep_untouched']);
      expect(await queue.nextDueAt()).toBe(now + VISIBILITY_MS);
    });

    const { db } = await withStore({ repairIndexes: true }, async ({ queue }) => {
      clock.advance(VISIBILITY_MS);
      expect(endpointsOf(await queue.receive(10, VISIBILITY_MS))).toEqual(['ep_half_leased', 'ep_untouched']);
    });
    expect(db.repair).toEqual({ staleEntries: 2, missingEntries: 1 });
  });

  it('the stream stand-in hands out message items, not entries, and finds a message whose entry was lost', async () => {
    const accepted = [aMessage('app_1'), aMessage('app_1'), aMessage('app_1')];
    await withStore({ repairIndexes: false }, async ({ messages }) => {
      for (const message of accepted) await messages.accept(message);
    });
    const [neverWritten, entryLost, intact] = accepted.map((message) => message.id);

    await editFiles(async (files) => {
      for (const { key, item } of await files.items(tables.messages)) {
        // An accept killed after the entry: the caller got no answer, and no message exists.
        if (item.sk?.S === neverWritten) await files.deleteItemOnly(key);
        // An item whose entry was dropped by a write killed before it rewrote the item.
        if (item.sk?.S === entryLost) await files.deleteIndexEntriesOf(tables.messages, item);
      }
      expect(await files.indexEntries(tables.messages, LOCAL_INDEX.pendingStream)).toHaveLength(2);
    });

    await withStore({ repairIndexes: false }, async ({ stream }) => {
      expect((await stream.pending(100)).map((record) => record.sequenceNumber)).toEqual([intact]);
    });

    const { db } = await withStore({ repairIndexes: true }, async ({ stream }) => {
      expect((await stream.pending(100)).map((record) => record.sequenceNumber)).toEqual([entryLost, intact]);
    });
    expect(db.repair).toEqual({ staleEntries: 1, missingEntries: 1 });
  });

  it('a repair of agreeing indexes changes nothing', async () => {
    await withStore({ repairIndexes: false }, async ({ queue, messages }) => {
      await queue.send([aTask(1), aTask(2)]);
      await messages.accept(aMessage('app_1'));
    });
    const { db } = await withStore({ repairIndexes: true }, async ({ queue, stream }) => {
      expect(await queue.receive(10, VISIBILITY_MS)).toHaveLength(2);
      expect(await stream.pending(10)).toHaveLength(1);
    });
    expect(db.repair).toEqual({ staleEntries: 0, missingEntries: 0 });
  });
});

describe('the data-directory lock', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-lock-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second owner while the first runs, and says the first stopped cleanly', async () => {
    const first = await lockDataDir(dataDir);
    expect(first.previousOwnerDied).toBe(false);
    await expect(lockDataDir(dataDir)).rejects.toThrow(/Another Hookpost \(pid \d+\)/);
    await first.release();
    expect((await lockDataDir(dataDir)).previousOwnerDied).toBe(false);
  });

  it('takes over at once from a killed owner that its parent has not reaped yet', async () => {
    const zombie = await spawnZombie();
    try {
      await writeFile(join(dataDir, 'hookpost.pid'), String(zombie.pid));
      const lock = await lockDataDir(dataDir);
      expect(lock.previousOwnerDied).toBe(true);
    } finally {
      zombie.reap();
    }
  });

  it('takes over from a lock whose pid now belongs to another process', async () => {
    // This very process, with a start time that is not its own: the pid was reused.
    await writeFile(join(dataDir, 'hookpost.pid'), `${process.pid} 1`);
    expect((await lockDataDir(dataDir)).previousOwnerDied).toBe(true);
  });
});

/**
 * A process that has exited but is still in the process table: its parent (a shell that
 * became `sleep`) never waits for it. Killing the parent lets init reap it.
 */
async function spawnZombie(): Promise<{ pid: number; reap(): void }> {
  const { spawn } = await import('node:child_process');
  const parent = spawn('sh', ['-c', "sh -c 'echo $$' & exec sleep 30"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    parent.once('error', reject);
  });
  const { readFile } = await import('node:fs/promises');
  for (let waited = 0; waited < 5_000; waited += 20) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'))
      return { pid, reap: () => parent.kill('SIGKILL') };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  parent.kill('SIGKILL');
  throw new Error(`process ${pid} did not become a zombie`);
}
