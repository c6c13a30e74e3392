import { LIMITS } from '../lambdas/contract/limits';
import { RESERVED_HEADERS } from '../lambdas/core/schemas';

/**
 * The parts of README.md written from the code that holds their facts, so that the README
 * cannot drift from what the service does: `npm run readme` rewrites each section between
 * its markers, and test/unit/readme.test.ts fails when one is stale.
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
