import fc from 'fast-check';
import { LIMITS } from '../../lambdas/contract/limits';
import { ROUTES, type RouteId } from '../../lambdas/contract/routes';
import { API_KEY } from './deployed-policy-api';

/**
 * Request generators for the fuzz test (test/integration/fuzz.test.ts): for every route
 * that writes, requests that are valid, and requests that are hostile in one way each.
 * Where the answer is certain the request says so: a valid request must be accepted; a body
 * that is not JSON, nests too deep, holds a lone surrogate, a `__proto__` key or a number
 * JSON cannot carry, or a path id that names nothing, must be refused. Everything else
 * (wrong types, huge or odd strings, unknown and duplicate keys) must merely not be a 5xx.
 */

/** Resources that exist before the run, so that valid requests have something to act on. */
export interface Fixtures {
  readonly appId: string;
  readonly endpointId: string;
  /** The endpoint updateEndpoint changes: valid updates may disable it. */
  readonly changedEndpointId: string;
  readonly eventType: string;
}

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string | null;
  readonly headers: readonly (readonly [string, string])[];
  /** What kind of request this is, for the failure message. */
  readonly what: string;
  readonly expect?: 'accepted' | 'refused';
}

export interface RequestOutcome {
  readonly status: number;
  readonly text: string;
}

type BuildRequest = (fixtures: Fixtures) => FuzzRequest;

export type WritingRouteId = {
  [Id in RouteId]: (typeof ROUTES)[Id]['method'] extends 'GET' ? never : Id;
}[RouteId];

/** A valid body, given a number no other request of the run has, for fields that must be unique. */
type ValidBody = (unique: number) => Record<string, unknown>;

let lastUnique = 0;
const nextUnique = () => {
  lastUnique += 1;
  return lastUnique;
};

// ----- valid values -------------------------------------------------------------------

/**
 * fast-check's strings and dictionaries name keys `__proto__` on purpose now and then; the
 * API refuses that key anywhere, so valid values never hold it.
 */
const withoutProtoKey = (text: string) => !text.includes('"__proto__"');
const key = (arbitrary: fc.Arbitrary<string>) => arbitrary.filter((name) => name !== '__proto__');

const word = (max: number) => fc.stringMatching(new RegExp(`^[a-zA-Z0-9_-]{1,${max}}$`));
const eventTypeName = fc.array(word(12), { minLength: 1, maxLength: 4 }).map((words) => words.join('.'));
const eventTypeFilter = fc.oneof(
  eventTypeName,
  eventTypeName.map((name) => `${name}.*`),
);
const displayName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });
const description = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constant('Two lines,\nand a\ttab.'),
);
const metadata = fc.dictionary(
  key(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 })),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  { maxKeys: 5 },
);
const jsonObject = fc
  .dictionary(key(fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 })
  .filter((object) => withoutProtoKey(JSON.stringify(object)));
/** A JSON Schema of an object, as an event type may carry (arbitrary JSON is not one). */
const payloadSchema = fc
  .record(
    {
      properties: fc.dictionary(
        key(fc.string({ maxLength: 12 })),
        fc.record({
          type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'array', 'object', 'null'),
        }),
        { maxKeys: 5 },
      ),
      additionalProperties: fc.boolean(),
    },
    { requiredKeys: ['properties'] },
  )
  .map((fields) => ({ type: 'object', ...fields }));
const url = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.stringMatching(/^[a-zA-Z0-9/_.-]{0,40}$/))
  .map(([label, path]) => `https://${label}.example.com/${path}`);
const customHeaders = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
  { maxKeys: 5 },
);
const secret = fc
  .uint8Array({ minLength: 24, maxLength: 64 })
  .map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);
const channels = fc.array(fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,30}$/), {
  maxLength: LIMITS.channels,
});

const appFields = fc.record({ name: displayName, uid: word(40), metadata }, { requiredKeys: [] });
const endpointFields = fc.record(
  {
    url,
    description,
    eventTypes: fc.option(fc.array(eventTypeFilter, { minLength: 1, maxLength: 5 }), { nil: null }),
    headers: customHeaders,
    disabled: fc.boolean(),
    rateLimit: fc.option(fc.integer({ min: 1, max: LIMITS.rateLimitPerSecond }), { nil: null }),
    metadata,
  },
  { requiredKeys: [] },
);

/** A uid no other request used, that cannot look like an app id. */
const withUniqueUid =
  (fields: Record<string, unknown>): ValidBody =>
  (unique) =>
    'uid' in fields ? { ...fields, uid: `u${unique}-${String(fields.uid)}` } : fields;

const message = fc
  .record(
    {
      eventType: eventTypeName,
      eventId: word(40),
      payload: jsonObject,
      channels: fc.option(channels, { nil: null }),
    },
    { requiredKeys: ['eventType', 'payload'] },
  )
  .map(
    (fields): ValidBody =>
      (unique) =>
        'eventId' in fields ? { ...fields, eventId: `e${unique}-${fields.eventId}` } : fields,
  );

const VALID_BODIES = {
  createApp: fc.tuple(displayName, appFields).map(([name, fields]) => withUniqueUid({ ...fields, name })),
  updateApp: appFields.map(withUniqueUid),
  createEventType: fc
    .record(
      { name: eventTypeName, description, schema: fc.option(payloadSchema, { nil: null }) },
      {
        requiredKeys: ['name'],
      },
    )
    .map(
      (fields): ValidBody =>
        (unique) => ({ ...fields, name: `${fields.name}.v${unique}` }),
    ),
  updateEventType: fc
    .record(
      { description, schema: fc.option(payloadSchema, { nil: null }), archived: fc.boolean() },
      {
        requiredKeys: [],
      },
    )
    .map(
      (fields): ValidBody =>
        () =>
          fields,
    ),
  createEndpoint: fc.tuple(url, endpointFields, fc.option(secret, { nil: undefined })).map(
    ([endpointUrl, fields, key]): ValidBody =>
      () => ({
        ...fields,
        url: endpointUrl,
        ...(key === undefined ? {} : { secret: key }),
      }),
  ),
  updateEndpoint: endpointFields.map(
    (fields): ValidBody =>
      () =>
        fields,
  ),
  rotateEndpointSecret: fc.option(secret, { nil: undefined }).map(
    (key): ValidBody =>
      () =>
        key === undefined ? {} : { key },
  ),
  sendMessage: message,
  recoverEndpoint: fc
    .date({
      min: new Date('2026-01-01T00:00:00Z'),
      max: new Date('2026-11-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map(
      (since): ValidBody =>
        () => ({ since: since.toISOString() }),
    ),
  sendMessageBatch: fc.array(message, { minLength: 1, maxLength: 5 }).map(
    (items): ValidBody =>
      (unique) => ({ messages: items.map((item, index) => item(unique * 100 + index)) }),
  ),
} as const satisfies Partial<Record<WritingRouteId, fc.Arbitrary<ValidBody>>>;

type BodyRouteId = keyof typeof VALID_BODIES;

// ----- hostile values -----------------------------------------------------------------

/**
 * A value put in place of a field: JSON, or raw JSON text for what JSON.stringify cannot
 * write (1e400, a `__proto__` key, nesting deeper than the stack). `refused` marks the
 * values no field may hold.
 */
interface HostileValue {
  readonly what: string;
  readonly json?: unknown;
  readonly raw?: string;
  readonly refused: boolean;
}

const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

const HOSTILE_VALUE: fc.Arbitrary<HostileValue> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((json) => ({ what: 'any JSON value', json, refused: false })),
  fc.integer({ min: 300, max: 300_000 }).map((length) => ({
    what: `a string of ${length} characters`,
    json: 'x'.repeat(length),
    refused: length > LIMITS.requestBodyBytes,
  })),
  fc
    .constantFrom(
      'a\u0000b',
      '\u0000',
      '\u0007bell',
      'line\r\nInjected: 1',
      '\u001b[31m',
      '\u0085',
      '\u200b',
      '',
    )
    .map((json) => ({ what: `the string ${JSON.stringify(json)}`, json, refused: false })),
  fc
    .constantFrom('\ud800', 'a\udc00b', '\udbff', 'x\ud83d')
    .map((json) => ({ what: 'a string with a lone surrogate', json, refused: true })),
  fc
    .constantFrom(0, -0, -1, 1.5, 2 ** 53 + 1, 1e308, -1e308, Number.MIN_VALUE)
    .map((json) => ({ what: `the number ${json}`, json, refused: false })),
  fc
    .constantFrom('1e400', '-1e400', '1E999')
    .map((raw) => ({ what: `${raw}, which JSON.parse reads as Infinity`, raw, refused: true })),
  fc
    .constantFrom('{"__proto__":{"admin":true}}', '{"a":{"__proto__":[]}}', '[{"__proto__":null}]')
    .map((raw) => ({ what: `a __proto__ key: ${raw}`, raw, refused: true })),
  fc
    .constantFrom('{"constructor":{"prototype":{"admin":true}}}', '{"prototype":1,"toString":"x"}')
    .map((raw) => ({ what: `keys of Object.prototype: ${raw}`, raw, refused: false })),
  fc.tuple(fc.integer({ min: LIMITS.jsonDepth, max: 100_000 }), fc.boolean()).map(([depth, arrays]) => ({
    what: `${arrays ? 'arrays' : 'objects'} nested ${depth} deep`,
    raw: arrays ? nested(depth, '[', ']') : nested(depth, '{"a":', '}'),
    refused: true,
  })),
);

/** Keys to add to an object field (`metadata`, `headers`, `payload`, `schema`) or the body. */
const HOSTILE_KEY = fc.oneof(
  fc.constantFrom(
    '',
    'constructor',
    'prototype',
    'hasOwnProperty',
    'Content-Length',
    'host',
    'webhook-signature',
    'X-A\r\nInjected',
    'x y',
    'x\u0000',
    '\u00e9t\u00e9',
    'k'.repeat(300),
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

// ----- requests -----------------------------------------------------------------------

function pathOf(routeId: RouteId, params: Readonly<Record<string, string>>, encode = true): string {
  return ROUTES[routeId].path.replace(/\{(\w+)\}/g, (_placeholder, name: string) => {
    const value = params[name] ?? '';
    return encode ? percentEncode(value) : value;
  });
}

/** encodeURIComponent over UTF-8 bytes: a lone surrogate becomes U+FFFD instead of throwing. */
function percentEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

function fixtureParams(routeId: RouteId, fixtures: Fixtures): Record<string, string> {
  const all: Record<string, string> = {
    appId: fixtures.appId,
    endpointId: routeId === 'updateEndpoint' ? fixtures.changedEndpointId : fixtures.endpointId,
    name: fixtures.eventType,
  };
  const names = [...ROUTES[routeId].path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  return Object.fromEntries(names.map((name) => [name, all[name] as string]));
}

/** Body text with raw JSON spliced in where a marker string stands. */
function bodyText(body: unknown, raw: readonly string[]): string {
  let text = JSON.stringify(body);
  raw.forEach((value, index) => {
    text = text.replace(JSON.stringify(rawMarker(index)), value);
  });
  return text;
}
const rawMarker = (index: number) => `@@raw-${index}@@`;

function hostileInPlace(value: HostileValue): unknown {
  return value.raw === undefined ? value.json : rawMarker(0);
}

/** Ids and names that name nothing: unknown, too long, odd characters, traversal. */
const HOSTILE_PARAM = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.constantFrom(
    'app_01JAAAAAAAAAAAAAAAAAAAAAAA',
    'ep_01JAAAAAAAAAAAAAAAAAAAAAAA',
    '..',
    '../apps',
    '%2e%2e',
    'x'.repeat(LIMITS.pathParameterLength + 1),
    '\u0000',
    '__proto__',
    'constructor',
  ),
);

const ODD_CONTENT_TYPES = fc.constantFrom(
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  '',
  '*/*',
  'application/json, text/plain',
);

function request(
  routeId: RouteId,
  params: Readonly<Record<string, string>>,
  body: string | null,
  what: string,
  expect?: FuzzRequest['expect'],
  options: { encodeParams?: boolean; contentType?: string | undefined } = {},
): FuzzRequest {
  const contentType = 'contentType' in options ? options.contentType : 'application/json';
  const headers: [string, string][] = [['Authorization', `Bearer ${API_KEY}`]];
  if (contentType !== undefined) headers.push(['Content-Type', contentType]);
  return {
    method: ROUTES[routeId].method,
    path: pathOf(routeId, params, options.encodeParams ?? true),
    body,
    headers,
    what,
    ...(expect === undefined ? {} : { expect }),
  };
}

function bodyRouteFuzz(routeId: BodyRouteId): fc.Arbitrary<BuildRequest> {
  const valid = VALID_BODIES[routeId] as fc.Arbitrary<ValidBody>;
  const hasParams = ROUTES[routeId].path.includes('{');
  const objectFields = ['metadata', 'headers', 'payload', 'schema'];

  const cases: fc.WeightedArbitrary<BuildRequest>[] = [
    {
      weight: 4,
      arbitrary: valid.map(
        (body) => (fixtures) =>
          request(
            routeId,
            fixtureParams(routeId, fixtures),
            JSON.stringify(body(nextUnique())),
            'valid',
            'accepted',
          ),
      ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(valid, fc.string({ maxLength: 12 }), fc.nat(), HOSTILE_VALUE)
        .map(([body, newKey, pick, hostile]) => (fixtures) => {
          const fields = body(nextUnique());
          const keys = Object.keys(fields);
          const key = keys.length === 0 ? newKey : (keys[pick % keys.length] as string);
          const text = bodyText(
            { ...fields, [key]: hostileInPlace(hostile) },
            hostile.raw ? [hostile.raw] : [],
          );
          return request(
            routeId,
            fixtureParams(routeId, fixtures),
            text,
            `${key} replaced by ${hostile.what}`,
            hostile.refused ? 'refused' : undefined,
          );
        }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom('(body)', ...objectFields), HOSTILE_KEY, HOSTILE_VALUE)
        .map(([body, field, key, hostile]) => (fixtures) => {
          const fields = body(nextUnique());
          const target = field === '(body)' ? fields : { ...(fields[field] as object | undefined) };
          // A computed key defines an own property even for __proto__.
          const extended = { ...target, [key]: hostileInPlace(hostile) };
          const text = bodyText(
            field === '(body)' ? extended : { ...fields, [field]: extended },
            hostile.raw ? [hostile.raw] : [],
          );
          return request(
            routeId,
            fixtureParams(routeId, fixtures),
            text,
            `key ${JSON.stringify(key)} added to ${field} with ${hostile.what}`,
            hostile.refused ? 'refused' : undefined,
          );
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.nat(), fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean())
        .map(([body, cut, noise, truncate]) => (fixtures) => {
          const text = JSON.stringify(body(nextUnique()));
          // A prefix of an object's JSON misses its closing brace: never valid JSON.
          const prefix = text.slice(0, 1 + (cut % (text.length - 1)));
          return truncate
            ? request(routeId, fixtureParams(routeId, fixtures), prefix, 'truncated JSON', 'refused')
            : request(routeId, fixtureParams(routeId, fixtures), noise, 'arbitrary text');
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue({ maxDepth: 4 })
        .map(
          (json) => (fixtures) =>
            request(routeId, fixtureParams(routeId, fixtures), JSON.stringify(json), 'arbitrary JSON'),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, HOSTILE_VALUE).map(([body, hostile]) => (fixtures) => {
        // The same key twice: JSON.parse keeps the last one.
        const fields = body(nextUnique());
        const [first] = Object.keys(fields);
        const text = JSON.stringify(fields);
        const duplicate =
          first === undefined
            ? text
            : `{${JSON.stringify(first)}:${hostile.raw ?? JSON.stringify(hostile.json)},${text.slice(1)}`;
        return request(
          routeId,
          fixtureParams(routeId, fixtures),
          duplicate,
          `a duplicate key with ${hostile.what}`,
        );
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, ODD_CONTENT_TYPES).map(
        ([body, contentType]) =>
          (fixtures) =>
            request(
              routeId,
              fixtureParams(routeId, fixtures),
              JSON.stringify(body(nextUnique())),
              `a valid body sent as ${String(contentType)}`,
              'accepted',
              { contentType },
            ),
      ),
    },
  ];
  if (hasParams) cases.push({ weight: 2, arbitrary: hostileParamsFuzz(routeId, valid) });
  return fc.oneof(...cases);
}

/** A valid body (if any) to a path whose ids name nothing: refused, and nothing written. */
function hostileParamsFuzz(routeId: RouteId, valid?: fc.Arbitrary<ValidBody>): fc.Arbitrary<BuildRequest> {
  return fc
    .tuple(HOSTILE_PARAM, fc.boolean(), valid ?? fc.constant(undefined))
    .map(([hostile, encode, body]) => (fixtures) => {
      const params = fixtureParams(routeId, fixtures);
      const names = Object.keys(params);
      // The last id in the path is the one that names nothing (the others exist).
      const target = names.at(-1) as string;
      return request(
        routeId,
        { ...params, [target]: hostile },
        body === undefined ? null : JSON.stringify(body(nextUnique())),
        `${target} ${encode ? 'encoded' : 'raw'}: ${JSON.stringify(hostile.slice(0, 40))}`,
        'refused',
        { encodeParams: encode },
      );
    });
}

/** Every route that writes, and how it is fuzzed; a new writing route does not compile without one. */
export const writingRouteFuzz: Record<WritingRouteId, fc.Arbitrary<BuildRequest>> = {
  createApp: bodyRouteFuzz('createApp'),
  updateApp: bodyRouteFuzz('updateApp'),
  deleteApp: hostileParamsFuzz('deleteApp'),
  createAppKey: hostileParamsFuzz('createAppKey'),
  revokeAppKey: hostileParamsFuzz('revokeAppKey'),
  createEventType: bodyRouteFuzz('createEventType'),
  updateEventType: bodyRouteFuzz('updateEventType'),
  archiveEventType: hostileParamsFuzz('archiveEventType'),
  createEndpoint: bodyRouteFuzz('createEndpoint'),
  updateEndpoint: bodyRouteFuzz('updateEndpoint'),
  deleteEndpoint: hostileParamsFuzz('deleteEndpoint'),
  testEndpoint: hostileParamsFuzz('testEndpoint'),
  recoverEndpoint: bodyRouteFuzz('recoverEndpoint'),
  resendMessage: hostileParamsFuzz('resendMessage'),
  rotateEndpointSecret: bodyRouteFuzz('rotateEndpointSecret'),
  sendMessage: bodyRouteFuzz('sendMessage'),
  sendMessageBatch: bodyRouteFuzz('sendMessageBatch'),
  receiveNotification: hostileParamsFuzz('receiveNotification'),
  deleteNotification: hostileParamsFuzz('deleteNotification'),
};
