import { ChangedMeanwhileError, NotFoundError } from '../../core/errors';
import type { Documents } from './documents';
import { isConditionalCheckFailed } from './paging';

/** Attributes of a record as an update read them, which must still be stored so for its write to land. */
export type AsRead = Readonly<Record<string, string | number | boolean | null>>;

/**
 * Writes `item` over a stored record that is still as an update read it: each attribute of
 * `asRead` still holds the value read (a null one may also be missing). Every write of a
 * record through the API gives it a new `updatedAt` (lambdas/services/updates.ts), so
 * `updatedAt` among them tells whether one came between. Without `leave`, the item replaces
 * the record (PutItem). With it, the item's attributes are written over the record's
 * (UpdateItem), except those `leave` names, which keep their stored values (others write
 * them in place, and the update has nothing to say of them), and any the item does not
 * carry. Throws NotFoundError when the record is gone, ChangedMeanwhileError when it changed.
 */
export async function replaceIfUnchanged(
  doc: Documents,
  write: {
    readonly tableName: string;
    readonly key: Readonly<Record<string, string>>;
    readonly item: Record<string, unknown>;
    readonly asRead: AsRead;
    readonly leave?: readonly string[];
    readonly resource: string;
    readonly id: string;
  },
): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const conditions = [`attribute_exists(${Object.keys(write.key)[0]})`];
  for (const [index, [name, value]] of Object.entries(write.asRead).entries()) {
    names[`#r${index}`] = name;
    values[`:r${index}`] = value;
    conditions.push(
      value === null
        ? `(attribute_not_exists(#r${index}) OR #r${index} = :r${index})`
        : `#r${index} = :r${index}`,
    );
  }
  try {
    if (write.leave === undefined) {
      await doc.put({
        TableName: write.tableName,
        Item: write.item,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
    } else {
      const left = new Set([...Object.keys(write.key), ...write.leave]);
      const sets: string[] = [];
      for (const [index, [name, value]] of Object.entries(write.item).entries()) {
        if (left.has(name) || value === undefined) continue;
        names[`#w${index}`] = name;
        values[`:w${index}`] = value;
        sets.push(`#w${index} = :w${index}`);
      }
      await doc.update({
        TableName: write.tableName,
        Key: write.key,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
    }
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    const { Item } = await doc.get({ TableName: write.tableName, Key: write.key, ConsistentRead: true });
    if (Item === undefined) throw new NotFoundError(write.resource, write.id);
    throw new ChangedMeanwhileError(write.resource, write.id);
  }
}
