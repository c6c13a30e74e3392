/**
 * The embedded store (dynalite) writes an item's secondary-index entries and the item in
 * separate steps. An index entry can therefore describe an item that is not there, or not
 * like that: for a moment while a write is under way, and for good after a crash between
 * the steps, until the start-up repair (lambdas/local/index-repair.ts) runs. So local
 * mode's stand-ins never act on an index entry: they read its item, consistently, and act
 * on the item, if it still belongs where the entry puts it.
 */

/** How far past entries that their items disown a read looks, before it settles for fewer. */
const MAX_PAGES = 10;

export interface ConfirmedPage<Item, Key> {
  /** The items of this page's entries that are there and agree with their entry. */
  readonly confirmed: readonly Item[];
  /** Where the index query stopped; undefined at its end. */
  readonly lastKey: Key | undefined;
}

/**
 * Up to `limit` confirmed items, reading page after page of index entries while entries
 * are disowned by their items, so that stale entries at the head of an index cannot hide
 * the live ones behind them.
 */
export async function readConfirmed<Item, Key>(
  limit: number,
  readPage: (startKey: Key | undefined, limit: number) => Promise<ConfirmedPage<Item, Key>>,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Key | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { confirmed, lastKey } = await readPage(startKey, limit - items.length);
    items.push(...confirmed);
    if (items.length >= limit || lastKey === undefined) break;
    startKey = lastKey;
  }
  return items.slice(0, limit);
}
