import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { type FieldProblem, ValidationError } from './errors';
import type { JsonObject } from './model';

/**
 * An event type's optional JSON Schema for the `data` of its messages (README, "Payload schemas"), checked
 * with Ajv. A schema is JSON Schema 2020-12 (the dialect of OpenAPI 3.1) unless its
 * `$schema` names draft-07. It is compiled when the event type is created or changed, so a
 * schema Ajv cannot compile is refused there (422 naming `schema`), and every message of
 * the type is checked against it (422 naming each failing field under `payload`).
 *
 * Schemas come from the admin key only (the catalogue is admin-written), which is why they
 * may be compiled to code at all; their size and nesting are bounded by the request limits
 * (lambdas/contract/limits.ts). Unknown keywords are ignored, as JSON Schema says they
 * should be; formats (`email`, `date-time`, `uri`, ...) are checked.
 */

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

/**
 * The compilers, made once per container, on the first schema it sees: Ajv is evaluated
 * then and not at the cold start, which most requests never need it for (it still weighs
 * on the bundle, README "Performance and cost"). A failed load is not kept: the next
 * schema loads again. `addUsedSchema: false`: two event types may copy a schema with the
 * same `$id` and different content; neither is registered by it.
 */
type Compilers = { readonly draft2020: Ajv; readonly draft07: Ajv };
let compilers: Promise<Compilers> | undefined;

function loadCompilers(): Promise<Compilers> {
  compilers ??= (async () => {
    const [{ default: Ajv07 }, { default: Ajv2020 }, { default: addFormats }] = await Promise.all([
      import('ajv'),
      import('ajv/dist/2020'),
      import('ajv-formats'),
    ]);
    const options = { allErrors: true, strict: false, logger: false, addUsedSchema: false } as const;
    return { draft2020: addFormats(new Ajv2020(options)), draft07: addFormats(new Ajv07(options)) };
  })();
  const loading = compilers;
  loading.catch(() => {
    if (compilers === loading) compilers = undefined;
  });
  return loading;
}

/** Compiled validators by schema text: a warm function compiles each schema once. */
const compiled = new Map<
  string,
  { readonly compiler: keyof Compilers; readonly validate: ValidateFunction }
>();
const MAX_COMPILED = 200;

/** Refusals name at most this many failing fields. */
const MAX_PROBLEMS = 20;

async function compile(schema: JsonObject): Promise<ValidateFunction> {
  const text = JSON.stringify(schema);
  const known = compiled.get(text);
  if (known !== undefined) return known.validate;
  const compilers = await loadCompilers();
  const compiler =
    typeof schema.$schema === 'string' && DRAFT_07.test(schema.$schema) ? 'draft07' : 'draft2020';
  // Another request may have compiled the same schema while the compilers loaded.
  const meanwhile = compiled.get(text);
  if (meanwhile !== undefined) return meanwhile.validate;
  const validate = compilers[compiler].compile(schema);
  if (compiled.size >= MAX_COMPILED) forgetOldest(compilers);
  compiled.set(text, { compiler, validate });
  return validate;
}

/** Ajv keeps every schema it compiled, by object: the oldest goes from both caches. */
function forgetOldest(compilers: Compilers): void {
  const [text, entry] = compiled.entries().next().value ?? [];
  if (text === undefined || entry === undefined) return;
  compilers[entry.compiler].removeSchema(entry.validate.schema as object);
  compiled.delete(text);
}

/** Throws a ValidationError naming `field` when `schema` is not a JSON Schema Ajv can use. */
export async function checkPayloadSchema(schema: JsonObject, field = 'schema'): Promise<void> {
  try {
    await compile(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ValidationError.forField(
      field,
      `This is not a JSON Schema Hookpost can check payloads with: ${reason}`,
    );
  }
}

/** Throws a ValidationError naming each field of `payload` that `schema` does not allow. */
export async function validatePayload(schema: JsonObject, payload: JsonObject): Promise<void> {
  const validate = await compile(schema);
  if (validate(payload)) return;
  const problems = (validate.errors ?? []).slice(0, MAX_PROBLEMS).map(toProblem);
  throw new ValidationError("The payload does not match its event type's schema.", problems);
}

function toProblem(error: ErrorObject): FieldProblem {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const named = error.params as { missingProperty?: string; additionalProperty?: string };
  const child = named.missingProperty ?? named.additionalProperty;
  if (child !== undefined) segments.push(child);
  return { path: ['payload', ...segments].join('.'), message: error.message ?? `fails ${error.keyword}` };
}
