import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors';
import { checkPayloadSchema, validatePayload } from '../../lambdas/core/payload-schema';

const invoicePaid = {
  type: 'object',
  required: ['invoiceId', 'amount'],
  properties: {
    invoiceId: { type: 'string', pattern: '^inv_' },
    amount: { type: 'integer', minimum: 0 },
    paidAt: { type: 'string', format: 'date-time' },
    lines: { type: 'array', items: { type: 'object', properties: { 'unit/price': { type: 'number' } } } },
  },
  additionalProperties: false,
};

async function problemsOf(run: () => Promise<void>) {
  try {
    await run();
  } catch (error) {
    if (error instanceof ValidationError) return error.details;
    throw error;
  }
  return [];
}

describe('payload schemas', () => {
  it('accepts a payload the schema describes', async () => {
    await expect(
      validatePayload(invoicePaid, { invoiceId: 'inv_1', amount: 1999, paidAt: '2026-11-23T10:00:00Z' }),
    ).resolves.toBeUndefined();
  });

  it('names every failing field under payload, missing and unexpected ones included', async () => {
    const problems = await problemsOf(() =>
      validatePayload(invoicePaid, {
        invoiceId: 'x',
        paidAt: 'yesterday',
        lines: [{ 'unit/price': 'free' }],
        coupon: 'X',
      }),
    );
    expect(problems.map((problem) => problem.path).sort()).toEqual(
      [
        'payload.amount',
        'payload.coupon',
        'payload.invoiceId',
        'payload.lines.0.unit/price',
        'payload.paidAt',
      ].sort(),
    );
  });

  it('reads draft-07 schemas when they say so, and 2020-12 otherwise', async () => {
    const draft07 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['a'] };
    const draft2020 = { type: 'object', prefixItems: [{ type: 'string' }] };
    expect((await problemsOf(() => validatePayload(draft07, {}))).map((problem) => problem.path)).toEqual([
      'payload.a',
    ]);
    await expect(checkPayloadSchema(draft2020)).resolves.toBeUndefined();
  });

  it('lets two schemas share an $id', async () => {
    await checkPayloadSchema({ $id: 'https://schemas.example.com/order', type: 'object', required: ['a'] });
    await expect(
      validatePayload(
        { $id: 'https://schemas.example.com/order', type: 'object', required: ['b'] },
        { a: 1 },
      ),
    ).rejects.toThrow(ValidationError);
  });

  it.each([
    ['a type that does not exist', { type: 'invoice' }],
    ['a reference to nowhere', { $ref: '#/$defs/missing' }],
    ['a pattern that is no regular expression', { type: 'string', pattern: '(' }],
  ])('refuses %s, naming the schema field', async (_what, schema) => {
    expect((await problemsOf(() => checkPayloadSchema(schema))).map((problem) => problem.path)).toEqual([
      'schema',
    ]);
  });
});
