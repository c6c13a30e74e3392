import { describe, expect, it } from 'vitest';
import { itemStoredBytes } from '../../support/deployed/stored-bytes';

const TABLE = {
  KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }],
  GlobalSecondaryIndexes: [
    {
      KeySchema: [{ AttributeName: 'gpk' }, { AttributeName: 'gsk' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['kept'] },
    },
  ],
};

describe('stored bytes, as DynamoDB bills them', () => {
  it('sizes names and values by their bytes, numbers by their digits, documents with their overhead', () => {
    // pk 2+3, sk 2+1, n 1+(ceil(5/2)+1)=4, b 1+4, m 1+(3 + a 1+1+1), plus 100 of overhead
    const item = {
      pk: { S: 'app' },
      sk: { S: 'é' },
      n: { N: '12345' },
      b: { B: new Uint8Array(4) },
      m: { M: { a: { S: 'x' } } },
    };
    expect(itemStoredBytes(item, { KeySchema: TABLE.KeySchema })).toBe(5 + 4 + 5 + 5 + 7 + 100);
  });

  it('adds an index entry of the keys and copied attributes for an item that has the index keys', () => {
    const base = { pk: { S: 'a' }, sk: { S: 'b' }, kept: { S: 'kk' }, other: { S: 'oooo' } };
    const alone = itemStoredBytes(base, TABLE);
    expect(alone).toBe(3 + 3 + 6 + 9 + 100);
    const indexed = itemStoredBytes({ ...base, gpk: { S: 'g' }, gsk: { S: 'h' } }, TABLE);
    // the item grows by the index keys (4 + 4), and its entry holds pk, sk, gpk, gsk and kept
    expect(indexed).toBe(alone + 8 + (3 + 3 + 4 + 4 + 6 + 100));
  });
});
