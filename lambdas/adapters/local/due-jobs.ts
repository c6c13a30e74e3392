import type { Documents } from '../dynamo/documents';
import {
  batchGetAll,
  batchWriteAll,
  ignoringConditionFailure,
  isConditionalCheckFailed,
  scanPages,
} from '../dynamo/paging';
import { readConfirmed } from './confirmed-index';
import { LOCAL_INDEX } from './local-tables';

/**
 * Durable jobs with a due time, in the local-jobs table: the building block of the local
 * queue and the local scheduler. A job is `{ pk, lane, dueAt, body, receiveCount, leased }`;
 * the byDue index lists a lane's jobs in due order. Leasing a job moves its `dueAt` into
 * the future with a conditional update, so one job is never handed out twice at once.
 * The index only points: every job handed out, and every due time told, is read from the
 * job's item (confirmed-index.ts says why).
 */
export interface DueJob {
  readonly id: string;
  readonly body: string;
  readonly dueAt: number;
  readonly receiveCount: number;
}

export interface NewJob {
  readonly id: string;
  readonly body: string;
  readonly dueAt: number;
}

export interface Lease {
  readonly job: DueJob;
  /** Identifies this lease: a later lease of the same job makes it stale. */
  readonly receipt: string;
}

export class DueJobTable {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
    private readonly lane: string,
  ) {}

  async putAll(jobs: readonly NewJob[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.tableName,
      jobs.map((job) => ({
        PutRequest: { Item: this.newItem(job) },
      })),
    );
  }

  /** Puts a job unless one with this id exists; answers whether it was created. */
  async putIfAbsent(job: NewJob): Promise<boolean> {
    try {
      await this.doc.put({
        TableName: this.tableName,
        Item: this.newItem(job),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private newItem(job: NewJob): Record<string, unknown> {
    return { pk: job.id, lane: this.lane, dueAt: job.dueAt, body: job.body, receiveCount: 0, leased: false };
  }

  /** Up to `limit` jobs due by `now`, in due order. */
  due(now: number, limit: number): Promise<DueJob[]> {
    return this.confirmedInDueOrder(limit, now);
  }

  /** The earliest due time in this lane, leased jobs included. */
  async nextDueAt(): Promise<number | undefined> {
    const [first] = await this.confirmedInDueOrder(1);
    return first?.dueAt;
  }

  /** Jobs in due order (up to `dueBy` when given), each as its item says, never as its index entry. */
  private confirmedInDueOrder(limit: number, dueBy?: number): Promise<DueJob[]> {
    return readConfirmed(limit, async (startKey: Record<string, unknown> | undefined, pageLimit) => {
      const { Items = [], LastEvaluatedKey } = await this.doc.query({
        TableName: this.tableName,
        IndexName: LOCAL_INDEX.byDue,
        KeyConditionExpression: dueBy === undefined ? 'lane = :lane' : 'lane = :lane AND dueAt <= :dueBy',
        ExpressionAttributeValues:
          dueBy === undefined ? { ':lane': this.lane } : { ':lane': this.lane, ':dueBy': dueBy },
        Limit: pageLimit,
        ExclusiveStartKey: startKey,
      });
      const entries = Items.map(jobFromItem);
      const items = await this.readJobs(entries.map((entry) => entry.id));
      const confirmed = entries.flatMap((entry) => {
        const item = items.get(entry.id);
        // The entry stands only if its item is in this lane and due when the entry says.
        return item !== undefined && item.lane === this.lane && item.dueAt === entry.dueAt
          ? [jobFromItem(item)]
          : [];
      });
      return { confirmed, lastKey: LastEvaluatedKey };
    });
  }

  /** The items of these jobs, read consistently, by id. */
  private async readJobs(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const keys = [...new Set(ids)].map((pk) => ({ pk }));
    const items = await batchGetAll(this.doc, this.tableName, keys, { consistentRead: true });
    return new Map(items.map((item) => [item.pk as string, item]));
  }

  /** Leases a due job until `until`; undefined when someone else leased it first. */
  async lease(job: DueJob, until: number): Promise<Lease | undefined> {
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: { pk: job.id },
        UpdateExpression: 'SET dueAt = :until, leased = :true ADD receiveCount :one',
        ConditionExpression: 'dueAt = :seen',
        ExpressionAttributeValues: { ':until': until, ':true': true, ':one': 1, ':seen': job.dueAt },
      });
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    return {
      job: { ...job, dueAt: until, receiveCount: job.receiveCount + 1 },
      receipt: receiptOf(job.id, until),
    };
  }

  /**
   * Leases due jobs until `until`, 25 to a BatchWriteItem: each job's item is put back as
   * read, leased. Unlike {@link lease} this is not conditional, so it is only for a caller
   * that no one else can race for these jobs: one that read them as due and is the only
   * writer of this lane meanwhile (local-queue.ts says how the local queue makes sure).
   */
  async leaseAll(jobs: readonly DueJob[], until: number): Promise<Lease[]> {
    await batchWriteAll(
      this.doc,
      this.tableName,
      jobs.map((job) => ({
        PutRequest: {
          Item: {
            ...this.newItem({ ...job, dueAt: until }),
            receiveCount: job.receiveCount + 1,
            leased: true,
          },
        },
      })),
    );
    return jobs.map((job) => ({
      job: { ...job, dueAt: until, receiveCount: job.receiveCount + 1 },
      receipt: receiptOf(job.id, until),
    }));
  }

  /** Deletes jobs whose leases the caller knows to be current, 25 to a BatchWriteItem (see {@link leaseAll}). */
  async deleteAll(ids: readonly string[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.tableName,
      ids.map((pk) => ({ DeleteRequest: { Key: { pk } } })),
    );
  }

  /** Deletes a leased job; a stale receipt (the lease ran out and the job was leased again) does nothing. */
  async deleteLeased(receipt: string): Promise<void> {
    const { id, until } = parseReceipt(receipt);
    await ignoringConditionFailure(
      this.doc.delete({
        TableName: this.tableName,
        Key: { pk: id },
        ConditionExpression: 'dueAt = :until',
        ExpressionAttributeValues: { ':until': until },
      }),
    );
  }

  /** Ends a lease early: the job is due again at `dueAt`. */
  async release(receipt: string, dueAt: number): Promise<void> {
    const { id, until } = parseReceipt(receipt);
    await ignoringConditionFailure(
      this.doc.update({
        TableName: this.tableName,
        Key: { pk: id },
        UpdateExpression: 'SET dueAt = :due, leased = :false',
        ConditionExpression: 'dueAt = :until',
        ExpressionAttributeValues: { ':due': dueAt, ':false': false, ':until': until },
      }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.doc.delete({ TableName: this.tableName, Key: { pk: id } });
  }

  /** Moves a job to another lane (dead letters, and back), keeping its body; its receives start again from 0. */
  async moveTo(job: DueJob, lane: string, dueAt: number): Promise<void> {
    await this.doc.update({
      TableName: this.tableName,
      Key: { pk: job.id },
      UpdateExpression: 'SET lane = :lane, dueAt = :due, leased = :false, receiveCount = :zero',
      ExpressionAttributeValues: { ':lane': lane, ':due': dueAt, ':false': false, ':zero': 0 },
    });
  }

  /**
   * Makes every leased job of this lane due now. Only for the start of a process that owns
   * the table alone (local mode): no lease taken before it can still be in use.
   */
  async releaseAllLeases(now: number): Promise<number> {
    let released = 0;
    for await (const page of scanPages(this.doc, {
      TableName: this.tableName,
      FilterExpression: 'lane = :lane AND leased = :true',
      ExpressionAttributeValues: { ':lane': this.lane, ':true': true },
    })) {
      for (const item of page) {
        const job = jobFromItem(item);
        await this.release(receiptOf(job.id, job.dueAt), now);
        released++;
      }
    }
    return released;
  }
}

function receiptOf(id: string, until: number): string {
  return `${id}|${until}`;
}

/** The job and the end of the lease a receipt stands for. */
export function parseReceipt(receipt: string): { id: string; until: number } {
  const separator = receipt.lastIndexOf('|');
  return { id: receipt.slice(0, separator), until: Number(receipt.slice(separator + 1)) };
}

function jobFromItem(item: Record<string, unknown>): DueJob {
  return {
    id: item.pk as string,
    body: item.body as string,
    dueAt: item.dueAt as number,
    receiveCount: (item.receiveCount as number | undefined) ?? 0,
  };
}
