import { getIndexActions, type StoredItem, type StoredTable } from 'dynalite/db/index.js';
import { Level } from 'level';

/**
 * Opens the files of a stopped dynalite database to leave them as a process killed in the
 * middle of a write would: an item without its index entries, or entries without their
 * item. dynalite's own `getIndexActions` computes where an item's entries live.
 */
export class DynaliteFiles {
  private constructor(private readonly db: Level<string, unknown>) {}

  static async open(path: string): Promise<DynaliteFiles> {
    const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
    await db.open();
    return new DynaliteFiles(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async table(name: string): Promise<StoredTable> {
    return (await this.db.get(`table~${name}`)) as StoredTable;
  }

  /** Every item of a table, with the LevelDB key it is stored under. */
  async items(table: string): Promise<{ key: string; item: StoredItem }[]> {
    const prefix = `item-${table}~`;
    const items: { key: string; item: StoredItem }[] = [];
    for await (const [key, value] of this.db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) {
      items.push({ key, item: value as StoredItem });
    }
    return items;
  }

  /** The copies of items a global index holds, in index order. */
  async indexEntries(table: string, index: string): Promise<StoredItem[]> {
    const prefix = `index-global~${table}~${index}~`;
    const entries: StoredItem[] = [];
    for await (const value of this.db.values({ gte: prefix, lt: `${prefix}\uffff` }))
      entries.push(value as StoredItem);
    return entries;
  }

  /** The LevelDB keys of the global-index entries dynalite writes for `item`. */
  async indexEntryKeys(tableName: string, item: StoredItem): Promise<string[]> {
    const table = await this.table(tableName);
    return getIndexActions(table.GlobalSecondaryIndexes ?? [], null, item, table).puts.map(
      (entry) => `index-global~${tableName}~${entry.index}~${entry.key}`,
    );
  }

  /** Writes the index entries of `item` and not the item: a write killed after its first step. */
  async writeIndexEntriesOnly(tableName: string, item: StoredItem): Promise<void> {
    const table = await this.table(tableName);
    for (const entry of getIndexActions(table.GlobalSecondaryIndexes ?? [], null, item, table).puts) {
      await this.db.put(`index-global~${tableName}~${entry.index}~${entry.key}`, entry.item);
    }
  }

  async deleteIndexEntriesOf(tableName: string, item: StoredItem): Promise<void> {
    for (const key of await this.indexEntryKeys(tableName, item)) await this.db.del(key);
  }

  async putItemOnly(key: string, item: StoredItem): Promise<void> {
    await this.db.put(key, item);
  }

  async deleteItemOnly(key: string): Promise<void> {
    await this.db.del(key);
  }
}
