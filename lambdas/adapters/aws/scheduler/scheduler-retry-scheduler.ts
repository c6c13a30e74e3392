import { randomUUID } from 'node:crypto';
import type { CreateScheduleInput } from '@aws-sdk/client-scheduler';
import type { DeliveryTask } from '../../../core/model';
import { retryScheduleName } from '../../../core/retry';
import type { RetryScheduler } from '../../../ports';
import type { AwsClient } from '../json-protocol/aws-json-client';

export interface SchedulerRetrySchedulerOptions {
  readonly groupName: string;
  /** The delivery queue the schedule puts the task on. */
  readonly queueArn: string;
  /** The role EventBridge Scheduler assumes; it may only send to the delivery queue. */
  readonly roleArn: string;
  /** Where Scheduler puts a task it could not deliver to the queue. */
  readonly deadLetterQueueArn: string;
}

/**
 * Long retries as EventBridge Scheduler one-time schedules that put the task back on the
 * delivery queue and delete themselves. The name is derived from the task, so a repeated
 * create (a retried handler) conflicts and changes nothing.
 */
export class SchedulerRetryScheduler implements RetryScheduler {
  constructor(
    private readonly scheduler: Pick<AwsClient, 'request'>,
    private readonly options: SchedulerRetrySchedulerOptions,
  ) {}

  async schedule(task: DeliveryTask, at: Date): Promise<void> {
    const name = retryScheduleName(task);
    const input: Omit<CreateScheduleInput, 'Name'> = {
      GroupName: this.options.groupName,
      ScheduleExpression: `at(${atExpressionTime(at)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: `Attempt ${task.attemptNumber} of ${task.msgId} to ${task.endpointId}`,
      Target: {
        Arn: this.options.queueArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify(task),
        DeadLetterConfig: { Arn: this.options.deadLetterQueueArn },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
      // The idempotency token the SDK would fill in: a retried request is the same request.
      ClientToken: randomUUID(),
    };
    try {
      // CreateSchedule: POST /schedules/{Name}, the rest of the input as the body.
      await this.scheduler.request('POST', `/schedules/${encodeURIComponent(name)}`, JSON.stringify(input), {
        'content-type': 'application/json',
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'ConflictException') return;
      throw error;
    }
  }
}

/**
 * `at()` takes `yyyy-mm-ddThh:mm:ss` without zone or fraction. Scheduler fires anywhere in
 * the minute, so the time is rounded up to a whole second: never earlier than asked.
 */
export function atExpressionTime(at: Date): string {
  const wholeSecond = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return wholeSecond.toISOString().slice(0, 19);
}
