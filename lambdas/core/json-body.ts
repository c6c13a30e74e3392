import { LIMITS } from '../contract/limits';
import type { FieldProblem } from './errors';

/** A UTF-16 surrogate that is not half of a pair: with the `u` flag, pairs are one code point. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Refusals name at most this many fields: a hostile body could have a million bad ones. */
const MAX_PROBLEMS = 10;

/**
 * What every JSON request body must be besides valid JSON, checked on the parsed value
 * before any schema reads it, so that it holds for every field, the free-form `payload` and
 * `schema` included:
 * - at most LIMITS.jsonDepth objects and arrays inside each other. The walk keeps its own
 *   stack, so a body nested 100,000 deep is refused rather than overflowing the call stack;
 * - every string and every key well-formed Unicode. JSON can escape a lone surrogate
 *   (`"\ud800"`), which UTF-8 (DynamoDB, a receiver) cannot carry;
 * - no key named `__proto__`: a receiver that merges objects would take it for the
 *   prototype, and zod's records drop it without a word;
 * - numbers finite: JSON.parse reads 1e400 as Infinity, which JSON cannot carry back out.
 *
 * Returns the problems found, each naming the field's dotted path (empty when the body is fine).
 */
export function jsonBodyProblems(body: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  while (pending.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value, path, depth } = pending.pop() as (typeof pending)[number];
    const problem = valueProblem(value, depth);
    if (problem !== undefined) {
      problems.push({ path: path || '(root)', message: problem });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const keyProblem = keyProblemOf(key);
      if (keyProblem !== undefined) problems.push({ path: childPath, message: keyProblem });
      else pending.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}

function valueProblem(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
    return 'Strings must be well-formed Unicode: this one has a lone surrogate.';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return 'Numbers must be finite (JSON cannot carry Infinity).';
  }
  if (typeof value === 'object' && value !== null && depth >= LIMITS.jsonDepth) {
    return `Objects and arrays nest at most ${LIMITS.jsonDepth} deep.`;
  }
  return undefined;
}

function keyProblemOf(key: string): string | undefined {
  if (key === '__proto__') return 'A key cannot be __proto__.';
  if (LONE_SURROGATE.test(key)) return 'Keys must be well-formed Unicode: this one has a lone surrogate.';
  return undefined;
}
