/**
 * Every AWS request the deployed functions (and the event source mappings acting for them)
 * make, as the stand-ins in front of the emulators see it, with what AWS bills it by: the
 * capacity a DynamoDB call consumed (asked for with ReturnConsumedCapacity, which the
 * functions themselves never ask for), the 64 KiB chunks of an SQS call, the messages an
 * SQS receive returned. The cost benchmark (bench/cost.ts) reads it.
 */

export type MeteredService = 'dynamodb' | 'dynamodb-streams' | 'sqs' | 'scheduler' | 'secretsmanager';

export interface MeteredCall {
  readonly service: MeteredService;
  readonly operation: string;
  /** The role's logical id (or the access key) that signed the call. */
  readonly caller: string;
  /** The table or queue the call is about, by its physical name. */
  readonly target: string;
  /** DynamoDB read and write capacity units consumed (on-demand bills request units one for one). */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** SQS bills every 64 KiB of a request's payload as one request. */
  readonly billedRequests: number;
  /** SQS ReceiveMessage: how many messages it returned (an empty receive is a long poll's idle cost). */
  readonly received?: number;
}

export class RequestMeter {
  readonly calls: MeteredCall[] = [];

  record(call: MeteredCall): void {
    this.calls.push(call);
  }

  /** The calls from `mark` on (a mark is `calls.length` at some moment). */
  since(mark: number): readonly MeteredCall[] {
    return this.calls.slice(mark);
  }
}

/** DynamoDB operations that report consumed capacity when asked. */
export const CAPACITY_OPERATIONS: ReadonlySet<string> = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
]);

export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

/**
 * The capacity a DynamoDB answer reports (`ConsumedCapacity`, one entry or one per table),
 * as read and write units; an answer without it (a failed condition) still consumed a
 * write unit per item written at AWS, which the caller adds.
 */
export function capacityOf(
  operation: string,
  // biome-ignore lint/suspicious/noExplicitAny: DynamoDB JSON answers are read field by field
  answer: Record<string, any>,
): { readonly readUnits: number; readonly writeUnits: number } {
  const entries = [answer.ConsumedCapacity ?? []].flat() as { CapacityUnits?: number }[];
  const units = entries.reduce((sum, entry) => sum + Number(entry.CapacityUnits ?? 0), 0);
  return WRITE_OPERATIONS.has(operation)
    ? { readUnits: 0, writeUnits: units }
    : { readUnits: units, writeUnits: 0 };
}

/** SQS bills a request per 64 KiB chunk of its payload. */
export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / (64 * 1024)));
}
