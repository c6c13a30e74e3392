declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}

/**
 * dynalite's storage helpers: how it lays out an item's index entries. Local mode's
 * start-up repair uses them so that the entries it writes are the ones dynalite would.
 */
declare module 'dynalite/db/index.js' {
  type StoredItem = Record<string, Record<string, unknown>>;

  interface KeySchemaElement {
    readonly AttributeName: string;
    readonly KeyType: 'HASH' | 'RANGE';
  }

  interface StoredIndex {
    readonly IndexName: string;
    readonly KeySchema: readonly KeySchemaElement[];
    readonly Projection: { readonly ProjectionType: string; readonly NonKeyAttributes?: readonly string[] };
  }

  /** A table's description as dynalite keeps it under `table~<TableName>`. */
  interface StoredTable {
    readonly TableName: string;
    readonly KeySchema: readonly KeySchemaElement[];
    readonly AttributeDefinitions: readonly {
      readonly AttributeName: string;
      readonly AttributeType: string;
    }[];
    readonly GlobalSecondaryIndexes?: readonly StoredIndex[];
    readonly LocalSecondaryIndexes?: readonly StoredIndex[];
  }

  interface IndexEntry {
    readonly index: string;
    readonly key: string;
    readonly item: StoredItem;
  }

  /** The index entries to write and delete when `existingItem` becomes `item`. */
  export function getIndexActions(
    indexes: readonly StoredIndex[],
    existingItem: StoredItem | null,
    item: StoredItem | null,
    table: StoredTable,
  ): { puts: IndexEntry[]; deletes: { index: string; key: string }[] };
}
