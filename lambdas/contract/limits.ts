/**
 * Every limit the API puts on what it is sent, written once. The request schemas
 * (lambdas/core/schemas.ts), the body check (lambdas/core/json-body.ts), the router and the
 * URL guard enforce them; README "Limits" is generated from them (`npm run docs`, and a
 * test fails when the README is stale).
 */
export const LIMITS = {
  /** A larger request body is refused with 413. */
  requestBodyBytes: 256 * 1024,
  /** Objects and arrays inside each other, anywhere in a request body. */
  jsonDepth: 64,

  /** An application's or an event type's name. */
  nameLength: 256,
  /** An application's `uid`. */
  uidLength: 256,
  /** An event type's or an endpoint's description. */
  descriptionLength: 1024,

  metadataEntries: 50,
  metadataKeyLength: 64,
  metadataValueLength: 512,

  urlLength: 2048,
  /** An endpoint's `eventTypes` filters, each a name or a name ending in `.*`. */
  eventTypeFilters: 100,

  customHeaders: 20,
  headerNameLength: 256,
  headerValueLength: 4096,

  /** Deliveries per second an endpoint's `rateLimit` may ask for. */
  rateLimitPerSecond: 10_000,

  eventIdLength: 256,
  /** Messages in one batch call. */
  batchMessages: 100,
  /** Channels a message names, or an endpoint takes. */
  channels: 10,
  channelLength: 128,

  /** An id or a name in a path: longer ones name nothing that exists. */
  pathParameterLength: 256,
  pageSize: 250,
  /** The widest window endpoint statistics count over. */
  statsWindowDays: 31,
  /**
   * The most deliveries endpoint statistics count in one call: each is read, and this many
   * take a few seconds, well within API Gateway's 29 s.
   */
  statsDeliveries: 100_000,
  /** The longest a pull receive waits for a notification (`?wait=`), within API Gateway's 29 s. */
  receiveWaitSeconds: 20,
  cursorLength: 2048,
} as const;
