import { getIndexActions, type StoredItem, type StoredTable } from 'dynalite/db/index.js';
import { Level } from 'level';

/**
 * dynalite writes an item and its secondary-index entries in separate LevelDB writes
 * (index entries first, the item last). A process killed between them leaves an index
 * entry that describes an item which is not there, or not like that, and an item whose
 * own entry is missing: a queue job that can never be leased, a message the stream
 * stand-in never sees. Local mode's adapters never trust an index entry without reading
 * its item; this repair, run on the database files before dynalite opens them after an
 * unclean stop, makes every index agree with the items again.
 *
 * The items are the truth. For each table, the index entries dynalite would write for
 * its items (computed with dynalite's own `getIndexActions`, so the layout is its own)
 * are compared with the entries on disk, and the difference is written in one LevelDB
 * batch, which LevelDB applies atomically: a crash during the repair leaves the table as
 * it was, and the next start repairs it again. It holds one table's entries in memory:
 * fine for a laptop's data, and it only runs after a crash.
 */

/** dynalite's key layout in its LevelDB: `<sub-database>~<key>`. */
const TABLE_PREFIX = 'table~';
const itemPrefix = (table: string) => `item-${table}~`;
const indexPrefix = (kind: 'global' | 'local', table: string) => `index-${kind}~${table}~`;
const indexEntryKey = (kind: 'global' | 'local', table: string, index: string, key: string) =>
  `${indexPrefix(kind, table)}${index}~${key}`;
/** Above every character a table or key uses, to bound a prefix scan. */
const PREFIX_END = '\uffff';

export interface IndexRepairReport {
  /** Entries that described no item, or an item as it no longer is: deleted. */
  readonly staleEntries: number;
  /** Items whose entry was missing or out of date: written. */
  readonly missingEntries: number;
}

/** Makes every secondary index of the dynalite database at `path` agree with its items. */
export async function repairSecondaryIndexes(path: string): Promise<IndexRepairReport> {
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
  await db.open();
  try {
    let staleEntries = 0;
    let missingEntries = 0;
    for (const table of await tablesWithIndexes(db)) {
      const report = await repairTable(db, table);
      staleEntries += report.staleEntries;
      missingEntries += report.missingEntries;
    }
    return { staleEntries, missingEntries };
  } finally {
    await db.close();
  }
}

async function tablesWithIndexes(db: Level<string, unknown>): Promise<StoredTable[]> {
  const tables: StoredTable[] = [];
  for await (const value of db.values({ gte: TABLE_PREFIX, lt: `${TABLE_PREFIX}${PREFIX_END}` })) {
    const table = value as StoredTable;
    if ((table.GlobalSecondaryIndexes?.length ?? 0) + (table.LocalSecondaryIndexes?.length ?? 0) > 0) {
      tables.push(table);
    }
  }
  return tables;
}

async function repairTable(db: Level<string, unknown>, table: StoredTable): Promise<IndexRepairReport> {
  const wanted = new Map<string, string>();
  const name = table.TableName;
  for await (const value of db.values({ gte: itemPrefix(name), lt: `${itemPrefix(name)}${PREFIX_END}` })) {
    const item = value as StoredItem;
    for (const [kind, indexes] of [
      ['global', table.GlobalSecondaryIndexes ?? []],
      ['local', table.LocalSecondaryIndexes ?? []],
    ] as const) {
      for (const entry of getIndexActions(indexes, null, item, table).puts) {
        wanted.set(indexEntryKey(kind, name, entry.index, entry.key), JSON.stringify(entry.item));
      }
    }
  }

  const batch = db.batch();
  let staleEntries = 0;
  for (const kind of ['global', 'local'] as const) {
    const prefix = indexPrefix(kind, name);
    for await (const [key, value] of db.iterator({ gte: prefix, lt: `${prefix}${PREFIX_END}` })) {
      const expected = wanted.get(key);
      if (expected === JSON.stringify(value)) {
        wanted.delete(key);
      } else if (expected === undefined) {
        batch.del(key);
        staleEntries++;
      }
      // An entry under the right key with an outdated copy of the item is rewritten below.
    }
  }
  for (const [key, value] of wanted) batch.put(key, JSON.parse(value) as unknown);
  const missingEntries = wanted.size;
  if (staleEntries + missingEntries > 0) await batch.write();
  else await batch.close();
  return { staleEntries, missingEntries };
}
