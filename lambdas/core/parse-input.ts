import * as z from 'zod/mini';
import { ValidationError } from './errors';

/**
 * Parsing input against a schema, for the schemas of zod's full API (the API's requests,
 * core/schemas.ts) and of its small one (zod/mini: settings, queue tasks), which share one
 * core. The functions that take no API requests import only zod/mini, whose parts a bundle
 * carries only as far as they are used: tens of kilobytes instead of hundreds.
 */

/** Parses `input`, or throws a ValidationError that names every bad field. */
export function parseInput<Schema extends z.core.$ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.core.output<Schema> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  throw new ValidationError(`The ${what} is not valid.`, problems, { cause: result.error });
}
