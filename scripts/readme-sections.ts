import { LIMITS } from '../lambdas/contract/limits';
import { RESERVED_HEADERS } from '../lambdas/core/schemas';

/**
 * The documents written from the code that holds their facts, so that they cannot drift
 * from what the service does: `npm run docs` rewrites each section of README.md between its
 * markers and the whole of docs/api.md, and test/unit/docs.test.ts fails when one is stale.
 */
export const GENERATED_SECTIONS: Readonly<Record<string, () => string>> = {
  limits: renderLimits,
};

const markers = (name: string) => [`<!-- generated:${name} -->`, `<!-- /generated:${name} -->`] as const;

/** The README with every generated section written afresh. */
export function renderReadme(readme: string): string {
  let result = readme;
  for (const [name, render] of Object.entries(GENERATED_SECTIONS)) {
    const [open, close] = markers(name);
    const start = result.indexOf(open);
    const end = result.indexOf(close);
    if (start === -1 || end < start) throw new Error(`README.md has no ${open} … ${close} section.`);
    result = `${result.slice(0, start + open.length)}\n${render()}\n${result.slice(end)}`;
  }
  return result;
}

const range = (max: number, min = 1) => `${min}–${max}`;
const code = (text: string) => `\`${text}\``;

function renderLimits(): string {
  const reserved = [...RESERVED_HEADERS, 'webhook-*'].map(code).join(', ');
  const rows: [string, string][] = [
    ['Request body', `up to ${LIMITS.requestBodyBytes / 1024} KiB; a larger one is refused with 413`],
    ['Objects and arrays inside each other, anywhere in a body', `up to ${LIMITS.jsonDepth} levels`],
    [
      'Every string and every key of a body',
      'well-formed Unicode: a lone surrogate (`"\\ud800"`) is refused',
    ],
    ['Every key of a body, at any depth', `never ${code('__proto__')}`],
    ['Every number of a body', `finite: ${code('1e400')} is refused`],
    ['App and event type `name`', `${range(LIMITS.nameLength)} characters`],
    ['App `uid`', `${range(LIMITS.uidLength)} characters: letters, digits, \`_\`, \`.\`, \`-\``],
    ['`description` of an event type or an endpoint', `up to ${LIMITS.descriptionLength} characters`],
    [
      '`metadata` of an app or an endpoint',
      `up to ${LIMITS.metadataEntries} entries; keys ${range(LIMITS.metadataKeyLength)} characters, ` +
        `values up to ${LIMITS.metadataValueLength}`,
    ],
    ['Endpoint `url`', `up to ${LIMITS.urlLength} characters`],
    ['Endpoint `eventTypes`', `${range(LIMITS.eventTypeFilters)} names, each may end in \`.*\``],
    [
      'Endpoint `headers`',
      `up to ${LIMITS.customHeaders}; names of ${range(LIMITS.headerNameLength)} HTTP token characters; ` +
        `values up to ${LIMITS.headerValueLength} characters of visible ASCII, space and tab; ` +
        `never one Hookpost sets itself (${reserved})`,
    ],
    ['Endpoint `rateLimit`', `${range(LIMITS.rateLimitPerSecond)} deliveries per second`],
    ['Message `eventId`', `${range(LIMITS.eventIdLength)} characters`],
    ['Messages in one batch', `${range(LIMITS.batchMessages)}`],
    [
      'Message and endpoint `channels`',
      `up to ${LIMITS.channels}, each ${range(LIMITS.channelLength)} characters: ` +
        'letters, digits, `_`, `.`, `:`, `-`',
    ],
    ['An id or a name in a path', `up to ${LIMITS.pathParameterLength} characters`],
    [
      '`?limit=` and `?cursor=` of a list',
      `${range(LIMITS.pageSize)}; up to ${LIMITS.cursorLength} characters`,
    ],
    [
      'Endpoint `stats` window (`?since=&until=`)',
      `up to ${LIMITS.statsWindowDays} days and ${LIMITS.statsDeliveries.toLocaleString('en-US')} deliveries`,
    ],
    ['`?wait=` of a pull receive', `0 to ${LIMITS.receiveWaitSeconds} seconds`],
  ];
  return [
    '| What | Limit |',
    '| --- | --- |',
    ...rows.map(([what, limit]) => `| ${what} | ${limit} |`),
    '',
    'Names, keys, ids and metadata hold no control characters (C0, DEL, C1); descriptions and',
    'metadata values may also hold tabs and line breaks.',
  ].join('\n');
}

interface JsonSchema {
  readonly type?: string | string[];
  readonly anyOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly format?: string;
  readonly description?: string;
  readonly default?: unknown;
}

interface Operation {
  readonly summary: string;
  readonly description: string;
  readonly parameters: readonly { name: string; in: string; required: boolean; schema: JsonSchema }[];
  readonly requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  readonly responses: Record<
    string,
    { description: string; content?: Record<string, { schema: JsonSchema }> }
  >;
}

/** A JSON Schema in a few words: its type and the limits a caller must keep to. */
function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf !== undefined) return schema.anyOf.map(describeSchema).join(' or ');
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  if (schema.enum !== undefined) return schema.enum.map((value) => code(JSON.stringify(value))).join(', ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  const limits = [
    schema.format,
    schema.minLength !== undefined || schema.maxLength !== undefined
      ? `${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} chars`
      : undefined,
    schema.minimum !== undefined || schema.maximum !== undefined
      ? `${schema.minimum ?? '−∞'}–${schema.maximum ?? '∞'}`
      : undefined,
    schema.maxItems !== undefined ? `at most ${schema.maxItems}` : undefined,
    schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : undefined,
  ].filter((part) => part !== undefined);
  const items = type === 'array' && schema.items !== undefined ? ` of ${describeSchema(schema.items)}` : '';
  return `${type}${items}${limits.length > 0 ? ` (${limits.join(', ')})` : ''}`;
}

function fieldRows(schema: JsonSchema): string[] {
  return Object.entries(schema.properties ?? {}).map(
    ([name, field]) =>
      `| \`${name}\` | ${schema.required?.includes(name) ? 'yes' : ''} | ${describeSchema(field).replaceAll('|', '\\|')} |`,
  );
}

/** docs/api.md: every route of the OpenAPI document, with what it takes and answers. */
export function renderApiReference(document: { paths: Record<string, Record<string, Operation>> }): string {
  const lines = [
    '# API reference',
    '',
    '<!-- Generated from the OpenAPI document (GET /v1/openapi.json) by `npm run docs`; do not edit. -->',
    '',
    'Every route takes and answers JSON; errors come in the envelope',
    '`{ "error": { "code", "message", "details" } }` (README, "API at a glance"). The limits',
    'of every field are in README, "Limits".',
  ];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      lines.push(
        '',
        `## \`${method.toUpperCase()} ${path}\``,
        '',
        operation.summary,
        '',
        `Who: ${operation.description}`,
      );
      const query = operation.parameters.filter((parameter) => parameter.in === 'query');
      if (query.length > 0) {
        lines.push('', '| query | required | |', '| --- | --- | --- |');
        for (const parameter of query) {
          lines.push(
            `| \`${parameter.name}\` | ${parameter.required ? 'yes' : ''} | ${describeSchema(parameter.schema)} |`,
          );
        }
      }
      const body = operation.requestBody?.content['application/json']?.schema;
      if (body !== undefined) {
        lines.push(
          '',
          `Body${operation.requestBody?.required ? '' : ' (optional)'}:`,
          '',
          '| field | required | |',
          '| --- | --- | --- |',
        );
        lines.push(...fieldRows(body));
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === 'default') continue;
        const answer = response.content?.['application/json']?.schema;
        const fields =
          answer?.properties === undefined ? '' : `: ${Object.keys(answer.properties).map(code).join(', ')}`;
        lines.push('', `Answers \`${status}\`${fields}.`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
