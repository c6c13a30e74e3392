/**
 * Every route of the REST API, declared once. The API function's router serves exactly
 * these (each id must have a handler, or the build fails), and `lib/api.ts` deploys
 * exactly these as API Gateway methods: a route can be neither deployed without being
 * served nor served without being deployed. A route of the product that is not built yet
 * is not listed here.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: anyone, without a key. `anyKey`: the admin key or any
 * application key. `app`: the admin key, or a key of the application the path names (a
 * key of another application gets 404). `admin`: the admin key only (an application key
 * gets 404 for another application's ids, and 403 for its own).
 */
export type RouteAccess = 'public' | 'anyKey' | 'app' | 'admin';

/**
 * What a route does with a request body: `required` means it must be a JSON object, which
 * API Gateway checks before any function runs; `optional` routes take an object or nothing.
 */
export type RouteBody = 'none' | 'optional' | 'required';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Path with `{name}` placeholders, e.g. `/v1/apps/{appId}`. */
  readonly path: string;
  readonly access: RouteAccess;
  readonly body: RouteBody;
}

/** Keeps each route's method as a literal type, so that code can tell reading routes from writing ones. */
const route = <const Method extends HttpMethod>(
  method: Method,
  path: string,
  access: RouteAccess,
  body: RouteBody = 'none',
): RouteSpec & { readonly method: Method } => ({
  method,
  path,
  access,
  body,
});

export const ROUTES = {
  health: route('GET', '/v1/health', 'public'),
  listEgressIps: route('GET', '/v1/egress-ips', 'anyKey'),
  openApi: route('GET', '/v1/openapi.json', 'public'),

  createApp: route('POST', '/v1/apps', 'admin', 'required'),
  listApps: route('GET', '/v1/apps', 'admin'),
  getApp: route('GET', '/v1/apps/{appId}', 'app'),
  updateApp: route('PATCH', '/v1/apps/{appId}', 'admin', 'required'),
  deleteApp: route('DELETE', '/v1/apps/{appId}', 'admin'),

  createAppKey: route('POST', '/v1/apps/{appId}/keys', 'admin'),
  listAppKeys: route('GET', '/v1/apps/{appId}/keys', 'admin'),
  revokeAppKey: route('DELETE', '/v1/apps/{appId}/keys/{keyId}', 'admin'),

  createEventType: route('POST', '/v1/event-types', 'admin', 'required'),
  listEventTypes: route('GET', '/v1/event-types', 'anyKey'),
  getEventType: route('GET', '/v1/event-types/{name}', 'anyKey'),
  updateEventType: route('PATCH', '/v1/event-types/{name}', 'admin', 'required'),
  archiveEventType: route('DELETE', '/v1/event-types/{name}', 'admin'),

  createEndpoint: route('POST', '/v1/apps/{appId}/endpoints', 'app', 'required'),
  listEndpoints: route('GET', '/v1/apps/{appId}/endpoints', 'app'),
  getEndpoint: route('GET', '/v1/apps/{appId}/endpoints/{endpointId}', 'app'),
  updateEndpoint: route('PATCH', '/v1/apps/{appId}/endpoints/{endpointId}', 'app', 'required'),
  deleteEndpoint: route('DELETE', '/v1/apps/{appId}/endpoints/{endpointId}', 'app'),
  getEndpointSecret: route('GET', '/v1/apps/{appId}/endpoints/{endpointId}/secret', 'app'),
  testEndpoint: route('POST', '/v1/apps/{appId}/endpoints/{endpointId}/test', 'app'),
  recoverEndpoint: route('POST', '/v1/apps/{appId}/endpoints/{endpointId}/recover', 'app', 'required'),
  listEndpointAttempts: route('GET', '/v1/apps/{appId}/endpoints/{endpointId}/attempts', 'app'),
  getEndpointStats: route('GET', '/v1/apps/{appId}/endpoints/{endpointId}/stats', 'app'),
  rotateEndpointSecret: route(
    'POST',
    '/v1/apps/{appId}/endpoints/{endpointId}/secret/rotate',
    'app',
    'optional',
  ),
  receiveNotification: route('POST', '/v1/apps/{appId}/endpoints/{endpointId}/notifications/receive', 'app'),
  deleteNotification: route(
    'DELETE',
    '/v1/apps/{appId}/endpoints/{endpointId}/notifications/{receiptId}',
    'app',
  ),

  sendMessage: route('POST', '/v1/apps/{appId}/messages', 'app', 'required'),
  sendMessageBatch: route('POST', '/v1/apps/{appId}/messages/batch', 'app', 'required'),
  listMessages: route('GET', '/v1/apps/{appId}/messages', 'app'),
  getMessage: route('GET', '/v1/apps/{appId}/messages/{msgId}', 'app'),
  listMessageAttempts: route('GET', '/v1/apps/{appId}/messages/{msgId}/attempts', 'app'),
  resendMessage: route('POST', '/v1/apps/{appId}/messages/{msgId}/endpoints/{endpointId}/resend', 'app'),
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;

export const ROUTE_IDS = Object.keys(ROUTES) as RouteId[];
