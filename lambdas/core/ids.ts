import { decodeTime, encodeTime, monotonicFactory } from 'ulid';

/**
 * Every id carries its type (`app_…`, `ep_…`), so a misplaced id is obvious in logs and
 * rejected by validation. The body is a ULID: sortable by creation time, which the stores
 * use to list newest first without a separate index.
 */
export const ID_PREFIX = {
  app: 'app_',
  endpoint: 'ep_',
  message: 'msg_',
  attempt: 'atmpt_',
  apiKey: 'key_',
  receipt: 'rcpt_',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ULID_BODY = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The ids' randomness, from the platform's CSPRNG a pool of bytes at a time. The ulid
 * package asks its own source for one byte per character, sixteen calls into the CSPRNG
 * per id, which a CPU profile of local mode under load put at 6 % of all its work. A byte
 * over 256 gives each of ULID's 32 characters the same chance.
 */
const RANDOM_POOL_BYTES = 4096;
let randomPool = new Uint8Array(0);
let nextRandom = 0;
function pooledRandom(): number {
  if (nextRandom >= randomPool.length) {
    randomPool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL_BYTES));
    nextRandom = 0;
  }
  return (randomPool[nextRandom++] as number) / 256;
}

let currentTime = Number.NaN;
let nextInCurrentTime = monotonicFactory(pooledRandom);

/**
 * Ids made in the same millisecond sort in creation order (monotonic ULIDs), and every id
 * carries the time it was made for. One monotonic factory serves one millisecond: reused
 * across times, it would stamp an earlier time with the latest one it saw, and a
 * time-range query would then miss the id.
 */
export function newId(kind: IdKind, now: Date): string {
  const time = now.getTime();
  if (time !== currentTime) {
    currentTime = time;
    nextInCurrentTime = monotonicFactory(pooledRandom);
  }
  return ID_PREFIX[kind] + nextInCurrentTime(time);
}

export function isId(kind: IdKind, value: string): boolean {
  const prefix = ID_PREFIX[kind];
  return value.startsWith(prefix) && ULID_BODY.test(value.slice(prefix.length));
}

/** The creation time encoded in an id made by `newId`. */
export function timeOfId(id: string): Date {
  const body = id.slice(id.indexOf('_') + 1);
  return new Date(decodeTime(body));
}

/**
 * The smallest and largest ids that `newId` could produce at `time`: bounds for a
 * sort-key range over ids when a list is filtered by time.
 */
export function idBoundsAt(kind: IdKind, time: Date): { readonly lowest: string; readonly highest: string } {
  const stamp = encodeTime(Math.max(0, time.getTime()), 10);
  return {
    lowest: `${ID_PREFIX[kind]}${stamp}0000000000000000`,
    highest: `${ID_PREFIX[kind]}${stamp}ZZZZZZZZZZZZZZZZ`,
  };
}
