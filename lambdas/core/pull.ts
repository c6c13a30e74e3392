import { idBoundsAt } from './ids';

/**
 * The rules of pull delivery (README, "Pull delivery"), pure: how far back a poll endpoint's
 * queue reaches, and how far forward its reader may trust the message log. The protocol
 * that keeps the order is described in lambdas/services/pull.ts.
 */

/** Notifications are kept a day: older messages are never returned. */
export const PULL_RETENTION_MS = 86_400_000;

/**
 * How long after its id's time a message is trusted to be in the log. An id is minted just
 * before the message is written, so a message younger than this may still be on its way
 * while a later id is already stored: the reader waits for the settle time to pass
 * before it serves (or passes over) a message, so that ids come out in ascending order. A
 * message whose write took longer than this is not lost: it arrives behind the reader and
 * is served next, as a late arrival (lambdas/services/pull.ts).
 */
export const PULL_SETTLE_MS = 400;

/** A key that every message id minted at `time` or later sorts after. */
function afterIdsBefore(time: Date): string {
  return idBoundsAt('message', new Date(time.getTime() - 1)).highest;
}

/**
 * The part of an app's message log a poll endpoint's reader looks at: after `after`
 * (excluded) and up to `through` (included). It begins at whichever is latest of the
 * endpoint's cursor, the endpoint's creation (a message accepted before the endpoint
 * existed is not its) and the retention (a day ago); it ends at the settle horizon.
 */
export function pullWindow(input: {
  readonly now: Date;
  readonly endpointCreatedAt: string;
  readonly cursor: string | null;
}): { readonly after: string; readonly through: string } {
  const retained = new Date(input.now.getTime() - PULL_RETENTION_MS);
  const created = new Date(input.endpointCreatedAt);
  const floor = afterIdsBefore(created > retained ? created : retained);
  const after = input.cursor !== null && input.cursor > floor ? input.cursor : floor;
  return { after, through: idBoundsAt('message', new Date(input.now.getTime() - PULL_SETTLE_MS)).highest };
}

/** Whether a message (by its id) is still within a poll endpoint's reach. */
export function isPullable(msgId: string, now: Date, endpointCreatedAt: string): boolean {
  return (
    msgId > afterIdsBefore(new Date(now.getTime() - PULL_RETENTION_MS)) &&
    msgId > afterIdsBefore(new Date(endpointCreatedAt))
  );
}
