import type { DeliveryTask } from '../../core/model';
import { retryScheduleName } from '../../core/retry';
import type { Clock, DeliveryQueue, RetryScheduler } from '../../ports';
import type { Documents } from '../dynamo/documents';
import { DueJobTable } from './due-jobs';

const LANE = 'retry-schedules';
const FIRE_BATCH = 25;

/**
 * The retry scheduler of local mode: one-time schedules, durable in the local-jobs table,
 * that put their task on the delivery queue when due and then delete themselves, as
 * EventBridge Scheduler schedules with ActionAfterCompletion DELETE do.
 */
export class DynamoLocalScheduler implements RetryScheduler {
  private readonly schedules: DueJobTable;

  constructor(
    private readonly options: {
      readonly doc: Documents;
      readonly tableName: string;
      readonly queue: DeliveryQueue;
      readonly clock: Clock;
    },
  ) {
    this.schedules = new DueJobTable(options.doc, options.tableName, LANE);
  }

  async schedule(task: DeliveryTask, at: Date): Promise<void> {
    await this.schedules.putIfAbsent({
      id: retryScheduleName(task),
      body: JSON.stringify(task),
      dueAt: at.getTime(),
    });
  }

  /**
   * Puts every due schedule's task on the queue, then deletes the schedule. A crash in
   * between fires it again on the next run: a duplicate task, which delivery drops.
   */
  async fireDue(): Promise<number> {
    const due = await this.schedules.due(this.options.clock.now().getTime(), FIRE_BATCH);
    for (const schedule of due) {
      await this.options.queue.send([JSON.parse(schedule.body) as DeliveryTask]);
      await this.schedules.delete(schedule.id);
    }
    return due.length;
  }

  nextDueAt(): Promise<number | undefined> {
    return this.schedules.nextDueAt();
  }
}
