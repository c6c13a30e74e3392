import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDeliveryStore } from '../adapters/dynamo/delivery-store';
import { isShardedLogKey, logKey } from '../adapters/dynamo/message-store';
import { isConditionalCheckFailed } from '../adapters/dynamo/paging';
import type { LocalTableNames } from '../adapters/local/local-tables';
import { INDEX, ITEM_KIND, ITEM_KIND_ATTRIBUTE, PARTITION_KEY, SORT_KEY } from '../contract/tables';
import type { Logger } from '../ports';

/**
 * What a data directory's store holds changes shape now and then, so the directory says
 * which shape in `format.json`, and local mode brings an older one up to date before it
 * serves anything (local-mode.ts). The versions:
 * 1. each application's message log under one partition key, the app id;
 * 2. the log spread over shards, pk `{appId}#{shard}` (adapters/dynamo/message-store.ts);
 * 3. a failed delivery has a failure marker, which a recovery reads
 *    (adapters/dynamo/delivery-store.ts).
 * Hookpost wrote no marker before version 2: an unmarked store's version is read from its
 * data (versionOfUnmarked).
 *
 * The marker reads `{ "version": N }`, and `{ "version": N, "migratingTo": N + 1 }` while
 * a migration runs. A Hookpost that knows no version N + 1 refuses the directory then
 * too: a newer Hookpost killed while migrating leaves a store that is partly in a format
 * this one does not know.
 */
const FORMAT_FILE = 'format.json';
/** The oldest version a migration below starts from. */
const OLDEST_VERSION = 1;
/** The version of the last Hookpost that wrote no marker: an unmarked store is at most this. */
const LAST_UNMARKED_VERSION = 2;

interface Migration {
  /** What the step changes, for the log. */
  readonly change: string;
  /** Moves the store one version on; safe to run again after a kill (see each step). */
  run(store: DataFormatStore): Promise<Record<string, number>>;
}

/** MIGRATIONS[n - OLDEST_VERSION] takes a store from version n to n + 1. */
const MIGRATIONS: readonly Migration[] = [
  { change: 'the message log spread over shards', run: shardMessageLog },
  { change: 'failed deliveries marked for recovery', run: markFailedDeliveries },
];

/** The version this code reads and writes: each migration added raises it by one. */
export const DATA_FORMAT_VERSION = OLDEST_VERSION + MIGRATIONS.length;

/** The data directory holds a format this Hookpost cannot use; it is left as it is. */
export class UnsupportedDataFormatError extends Error {
  override readonly name = 'UnsupportedDataFormatError';

  constructor(
    message: string,
    readonly dataDir: string,
    readonly version: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The store of a data directory, open, with what its format's migrations need. */
export interface DataFormatStore {
  readonly dataDir: string;
  readonly client: DynamoDBClient;
  readonly tables: LocalTableNames;
  /** The deliveries as the running code keeps them, for the marks it adds. */
  readonly deliveries: Pick<DynamoDeliveryStore, 'markPastFailures'>;
  readonly logger: Logger;
}

/** What `format.json` says. */
export interface DataFormatMarker {
  readonly version: number;
  /** Set while a migration to that version runs. */
  readonly migratingTo?: number;
}

/**
 * What the data directory's marker says, undefined when it has none. Called before anything
 * opens the store: a version newer than this code's, or a migration to one, is refused
 * with the store untouched (this code cannot know what that version changed, and a write
 * of its own could damage it), and so is a marker that says no version.
 */
export async function readDataFormat(dataDir: string): Promise<DataFormatMarker | undefined> {
  const file = join(dataDir, FORMAT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const marker = markerIn(text);
  if (marker === undefined) {
    throw new UnsupportedDataFormatError(
      `${file} does not say which data format ${dataDir} holds (it should read {"version": <a whole number>}), so Hookpost left the directory untouched. Restore the file, or set HOOKPOST_DATA_DIR to another directory.`,
      dataDir,
      undefined,
    );
  }
  const newest = Math.max(marker.version, marker.migratingTo ?? 0);
  if (newest > DATA_FORMAT_VERSION) {
    const what =
      marker.version > DATA_FORMAT_VERSION
        ? `data format version ${marker.version}`
        : `data format version ${marker.migratingTo}, a migration to it begun and not finished`;
    throw new UnsupportedDataFormatError(
      `${dataDir} was written by a newer Hookpost (${what}; this one knows versions up to ${DATA_FORMAT_VERSION}), so Hookpost left it untouched. Run that newer Hookpost on it, or set HOOKPOST_DATA_DIR to another directory to start with an empty one.`,
      dataDir,
      newest,
    );
  }
  return marker;
}

/**
 * Brings the store to DATA_FORMAT_VERSION one migration at a time. The marker says a
 * migration is under way before it starts and takes the new version only after it ends:
 * after a kill in a migration, the next start finds the old version and runs that
 * migration again, which finishes the job (each is written to be run again). An unmarked
 * store already in the current format (a new directory's, or one written just before the
 * marker existed) is only marked.
 */
export async function upgradeDataFormat(
  store: DataFormatStore,
  marker: DataFormatMarker | undefined,
): Promise<void> {
  const found = marker?.version ?? (await versionOfUnmarked(store));
  for (let version = found; version < DATA_FORMAT_VERSION; version++) {
    const migration = MIGRATIONS[version - OLDEST_VERSION];
    if (migration === undefined) throw new Error(`No migration from data format version ${version}.`);
    await writeDataFormat(store.dataDir, { version, migratingTo: version + 1 });
    const counts = await migration.run(store);
    await writeDataFormat(store.dataDir, { version: version + 1 });
    store.logger.info(`data directory migrated: ${migration.change}`, {
      dataDir: store.dataDir,
      from: version,
      to: version + 1,
      ...counts,
    });
  }
  if (marker === undefined && found === DATA_FORMAT_VERSION) {
    await writeDataFormat(store.dataDir, { version: DATA_FORMAT_VERSION });
  }
}

/**
 * The version of a store written before the marker existed, read from its data: an item of
 * the messages table keyed by its app id alone is version 1's; without one, the store is
 * in the last unmarked version's layout, unless it holds nothing at all (a new directory:
 * nothing to migrate). A store older than version 1 is refused: its deliveries table
 * lacks the byEndpoint index, which dynalite cannot add to a table that exists.
 */
async function versionOfUnmarked({ dataDir, client, tables }: DataFormatStore): Promise<number> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.deliveries }));
  if (!(Table?.GlobalSecondaryIndexes ?? []).some((index) => index.IndexName === INDEX.byEndpoint)) {
    throw new UnsupportedDataFormatError(
      `${dataDir} was written by a Hookpost too old for this one to migrate: its deliveries table has no ${INDEX.byEndpoint} index, and the embedded store cannot add an index to a table that exists. Its items were left as they are. Keep it for the Hookpost that wrote it, or set HOOKPOST_DATA_DIR to another directory to start with an empty one.`,
      dataDir,
      undefined,
    );
  }
  for await (const page of scanPages(client, {
    TableName: tables.messages,
    ProjectionExpression: `${PARTITION_KEY}, ${SORT_KEY}`,
  })) {
    if (page.some((item) => keyOf(item) !== undefined && !isInPlace(item))) return OLDEST_VERSION;
  }
  for (const table of [tables.messages, tables.deliveries]) {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: table, Limit: 1 }));
    if (Items.length > 0) return LAST_UNMARKED_VERSION;
  }
  return DATA_FORMAT_VERSION;
}

/** The items of the messages table a migration step handles at once (a page of a Scan). */
const MOVE_PAGE_ITEMS = 100;

/**
 * Version 1 → 2: each item of the messages table (messages, eventId claims, attempt
 * requests) moves from its app's one partition key to the shard that logKey, the store's
 * own key function, gives its sort key; sort key and attributes unchanged.
 *
 * Against a kill: an item is put at its new key before it is deleted from its old one, so
 * it is always at one of them, or both. A run again puts an item only where its key is
 * free (a kill after the put left it there already), then deletes the old copy: nothing is
 * lost, and once the step ends nothing is there twice.
 *
 * Against fan-out again: the stream stand-in (adapters/local/local-stream.ts) sees only
 * items that carry the pending marker, and an item is copied as it is. One fanned out
 * already carries no marker and is not fanned out again; one never fanned out takes its
 * marker to its new key and is fanned out once, when the worker starts. The worker starts
 * only after this step, when no copy is left at an old key to be seen a second time.
 *
 * A new key may be taken by an item the sharded code wrote there since: a Hookpost of
 * version 2 from before the marker existed, run on this directory, claimed an eventId
 * again that an old claim held (it could not see it). The newer claim stays (its message
 * is the one that Hookpost answered and delivered since); the older is deleted.
 */
async function shardMessageLog({ client, tables }: DataFormatStore): Promise<Record<string, number>> {
  const moved = { messages: 0, eventIdClaims: 0, attemptRequests: 0, otherItems: 0 };
  let foundAtNewKey = 0;
  const countMove = (item: Record<string, AttributeValue>) => {
    const kind = item[ITEM_KIND_ATTRIBUTE]?.S;
    if (kind === ITEM_KIND.message) moved.messages++;
    else if (kind === ITEM_KIND.eventIdClaim) moved.eventIdClaims++;
    else if (kind === ITEM_KIND.attemptRequest) moved.attemptRequests++;
    else moved.otherItems++;
  };
  for await (const page of scanPages(client, { TableName: tables.messages, Limit: MOVE_PAGE_ITEMS })) {
    await Promise.all(
      page.map(async (item) => {
        const key = keyOf(item);
        if (key === undefined || isInPlace(item)) return;
        const target = logKey(key.pk, key.sk);
        try {
          await client.send(
            new PutItemCommand({
              TableName: tables.messages,
              Item: { ...item, [PARTITION_KEY]: { S: target.pk } },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PARTITION_KEY },
            }),
          );
          countMove(item);
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          foundAtNewKey++;
        }
        await client.send(
          new DeleteItemCommand({
            TableName: tables.messages,
            Key: { [PARTITION_KEY]: { S: key.pk }, [SORT_KEY]: { S: key.sk } },
          }),
        );
      }),
    );
  }
  return { ...moved, foundAtNewKey };
}

/**
 * Version 2 → 3: each failed delivery gets the failure marker a recovery finds it by; one
 * that failed before markers existed would otherwise never be recovered. The store's own
 * code puts them (markPastFailures), and a run again after a kill puts the same items.
 */
async function markFailedDeliveries({ deliveries }: DataFormatStore): Promise<Record<string, number>> {
  return { failedDeliveries: await deliveries.markPastFailures() };
}

function keyOf(item: Record<string, AttributeValue>): { pk: string; sk: string } | undefined {
  const pk = item[PARTITION_KEY]?.S;
  const sk = item[SORT_KEY]?.S;
  return pk === undefined || sk === undefined ? undefined : { pk, sk };
}

function isInPlace(item: Record<string, AttributeValue>): boolean {
  const key = keyOf(item);
  return key !== undefined && isShardedLogKey(key.pk, key.sk);
}

/** A Scan's pages, consistently read; a page's items may be changed before the next is read. */
async function* scanPages(
  client: DynamoDBClient,
  input: Omit<ScanCommandInput, 'ExclusiveStartKey' | 'ConsistentRead'>,
): AsyncGenerator<Record<string, AttributeValue>[]> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const output = await client.send(
      new ScanCommand({ ...input, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    yield output.Items ?? [];
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined);
}

function markerIn(text: string): DataFormatMarker | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { version, migratingTo } = (parsed ?? {}) as { version?: unknown; migratingTo?: unknown };
  const isVersion = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= OLDEST_VERSION;
  if (!isVersion(version)) return undefined;
  if (migratingTo === undefined) return { version };
  return isVersion(migratingTo) ? { version, migratingTo } : undefined;
}

/**
 * Writes the marker whole or not at all: into a file beside it, synced, then renamed over
 * it, and the directory synced so that the rename lasts. (The store's own writes are not
 * synced, LevelDB's default: like the rest of local mode, a migration survives a killed
 * process, not a power cut in the seconds after it.)
 */
async function writeDataFormat(dataDir: string, marker: DataFormatMarker): Promise<void> {
  const file = join(dataDir, FORMAT_FILE);
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(marker)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const directory = await open(dataDir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
