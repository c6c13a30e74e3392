import { ChangedMeanwhileError } from '../core/errors';

/** Reads of a record an update makes, at most, when other writes keep coming between. */
const UPDATE_READS = 10;
/** The most a pause before the next read lasts, times the reads so far. */
const RETRY_PAUSE_MS = 10;

/**
 * Reads a record, changes it and writes it back, where the store writes only if the record
 * is still as read (its `updatedAt`, see {@link nextUpdatedAt}): two updates at once must
 * not both read the same record and the second write drop what the first one changed. A
 * write refused that way is made again from a new read.
 */
export async function updateFromLatest<Stored>(
  read: () => Promise<Stored>,
  write: (previous: Stored) => Promise<Stored>,
): Promise<Stored> {
  for (let reads = 1; ; reads++) {
    const previous = await read();
    try {
      return await write(previous);
    } catch (error) {
      if (!(error instanceof ChangedMeanwhileError) || reads >= UPDATE_READS) throw error;
    }
    // A few milliseconds, drawn at random, so that updates refused together do not meet again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * reads));
  }
}

/**
 * A record's `updatedAt` for a write that replaces `previous`: now, or a millisecond after
 * `previous` when the clock has not moved past it, so that every write of a record leaves
 * a new `updatedAt` and a store can tell whether a record is still as it was read.
 */
export function nextUpdatedAt(previous: string, now: Date): string {
  return new Date(Math.max(now.getTime(), Date.parse(previous) + 1)).toISOString();
}
