import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits';
import { jsonBodyProblems } from '../../lambdas/core/json-body';

/** `depth` arrays inside each other around a 1, as JSON.parse would build them. */
const nestedArrays = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

describe('jsonBodyProblems', () => {
  it('finds nothing wrong with an ordinary body', () => {
    expect(
      jsonBodyProblems({
        eventType: 'a.b',
        payload: { constructor: 1, list: [1, 'two', null, { é: true }] },
      }),
    ).toEqual([]);
  });

  it(`accepts ${LIMITS.jsonDepth} levels of nesting and refuses one more`, () => {
    expect(jsonBodyProblems(nestedArrays(LIMITS.jsonDepth))).toEqual([]);
    expect(jsonBodyProblems(nestedArrays(LIMITS.jsonDepth + 1))).toEqual([
      {
        path: Array.from({ length: LIMITS.jsonDepth }, () => '0').join('.'),
        message: `Objects and arrays nest at most ${LIMITS.jsonDepth} deep.`,
      },
    ]);
  });

  it('walks a body nested 100,000 deep without overflowing the stack', () => {
    expect(jsonBodyProblems(nestedArrays(100_000))).toHaveLength(1);
  });

  it('refuses lone surrogates in values and in keys, and accepts pairs', () => {
    const body = JSON.parse('{"ok":"\\ud83d\\ude00","value":"a\\ud800","\\udc00key":1}');
    expect(jsonBodyProblems(body).map((problem) => problem.path)).toEqual(['\udc00key', 'value']);
  });

  it('refuses a key named __proto__ at any depth, and keeps the others of Object.prototype', () => {
    const body = JSON.parse('{"payload":{"a":[{"__proto__":{"admin":true}}]},"constructor":1,"toString":2}');
    expect(jsonBodyProblems(body)).toEqual([
      { path: 'payload.a.0.__proto__', message: 'A key cannot be __proto__.' },
    ]);
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(jsonBodyProblems(JSON.parse('{"big":1e400,"small":-1e400,"fine":1e308}'))).toEqual([
      { path: 'small', message: 'Numbers must be finite (JSON cannot carry Infinity).' },
      { path: 'big', message: 'Numbers must be finite (JSON cannot carry Infinity).' },
    ]);
  });

  it('names at most 10 problems, however many there are', () => {
    const body = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`k${index}`, '\ud800']));
    expect(jsonBodyProblems(body)).toHaveLength(10);
  });
});
