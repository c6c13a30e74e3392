import type { z } from 'zod';
import { ROUTE_IDS, ROUTES } from '../../contract/routes';
import { MalformedRequestError } from '../../core/errors';
import { parseInput } from '../../core/schemas';
import type { ApiServices } from '../../services';
import { errorEnvelope } from './errors';
import { openApiDocument } from './openapi';
import { ROUTE_SCHEMAS } from './route-schemas';
import type { ApiRequest, ApiResponse, Route, RouteHandlers } from './types';
import {
  apiKeyView,
  appView,
  attemptView,
  endpointView,
  eventTypeView,
  messageView,
  messageWithDeliveriesView,
  notificationView,
  pageView,
} from './views';

const ok = (body: unknown): ApiResponse => ({ statusCode: 200, body });
const created = (body: unknown): ApiResponse => ({ statusCode: 201, body });
const noContent: ApiResponse = { statusCode: 204 };

type Schemas = typeof ROUTE_SCHEMAS;
type WithBody = {
  [Id in keyof Schemas]: Schemas[Id] extends { body: z.ZodType } ? Id : never;
}[keyof Schemas];
type WithQuery = {
  [Id in keyof Schemas]: Schemas[Id] extends { query: z.ZodType } ? Id : never;
}[keyof Schemas];

/** The request body, parsed with the route's own schema (route-schemas.ts, which the OpenAPI document shows). */
function bodyOf<Id extends WithBody>(
  id: Id,
  request: ApiRequest,
  what: string,
): z.output<Schemas[Id]['body']> {
  return parseInput(ROUTE_SCHEMAS[id].body, request.body, what) as z.output<Schemas[Id]['body']>;
}

/** The query string, parsed with the route's own schema: a bad one is a malformed request (400), unlike a bad body (422). */
function queryOf<Id extends WithQuery>(id: Id, request: ApiRequest): z.output<Schemas[Id]['query']> {
  const result = ROUTE_SCHEMAS[id].query.safeParse(request.query);
  if (result.success) return result.data as z.output<Schemas[Id]['query']>;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  throw new MalformedRequestError('The query string is not valid.', { details, cause: result.error });
}

const param = (request: ApiRequest, name: string): string => {
  const value = request.params[name];
  if (value === undefined) throw new Error(`Route is missing its {${name}} parameter.`);
  return value;
};

/** The handler of every route of the contract: thin adapters from HTTP to one service call each. */
export function routeHandlers(services: ApiServices): RouteHandlers {
  const { apps, apiKeys, eventTypes, endpoints, messages, pulls } = services;
  const appId = (request: ApiRequest) => param(request, 'appId');
  const endpointId = (request: ApiRequest) => param(request, 'endpointId');

  return {
    health: async () => ok({ status: 'ok' }),
    listEgressIps: async () => ok({ data: services.egressIps }),
    openApi: async () => ok(openApiDocument()),
    createApp: async (request) =>
      created(appView(await apps.create(bodyOf('createApp', request, 'application')))),
    listApps: async (request) => ok(pageView(await apps.list(queryOf('listApps', request)), appView)),
    getApp: async (request) => ok(appView(await apps.get(appId(request)))),
    updateApp: async (request) =>
      ok(appView(await apps.update(appId(request), bodyOf('updateApp', request, 'application')))),
    deleteApp: async (request) => {
      await apps.delete(appId(request));
      return noContent;
    },
    createAppKey: async (request) => created(await apiKeys.create(appId(request))),
    listAppKeys: async (request) =>
      ok(pageView(await apiKeys.list(appId(request), queryOf('listAppKeys', request)), apiKeyView)),
    revokeAppKey: async (request) => {
      await apiKeys.revoke(appId(request), param(request, 'keyId'));
      return noContent;
    },
    createEventType: async (request) =>
      created(eventTypeView(await eventTypes.create(bodyOf('createEventType', request, 'event type')))),
    listEventTypes: async (request) =>
      ok(pageView(await eventTypes.list(queryOf('listEventTypes', request)), eventTypeView)),
    getEventType: async (request) => ok(eventTypeView(await eventTypes.get(param(request, 'name')))),
    updateEventType: async (request) =>
      ok(
        eventTypeView(
          await eventTypes.update(param(request, 'name'), bodyOf('updateEventType', request, 'event type')),
        ),
      ),
    archiveEventType: async (request) => {
      await eventTypes.archive(param(request, 'name'));
      return noContent;
    },
    createEndpoint: async (request) =>
      created(
        endpointView(await endpoints.create(appId(request), bodyOf('createEndpoint', request, 'endpoint'))),
      ),
    listEndpoints: async (request) =>
      ok(pageView(await endpoints.list(appId(request), queryOf('listEndpoints', request)), endpointView)),
    getEndpoint: async (request) =>
      ok(endpointView(await endpoints.get(appId(request), endpointId(request)))),
    updateEndpoint: async (request) =>
      ok(
        endpointView(
          await endpoints.update(
            appId(request),
            endpointId(request),
            bodyOf('updateEndpoint', request, 'endpoint'),
          ),
        ),
      ),
    deleteEndpoint: async (request) => {
      await endpoints.delete(appId(request), endpointId(request));
      return noContent;
    },
    testEndpoint: async (request) => {
      const sent = await endpoints.test(appId(request), endpointId(request));
      return sent.attempt === undefined
        ? { statusCode: 202, body: { msgId: sent.msgId } }
        : ok(attemptView(sent.attempt));
    },
    recoverEndpoint: async (request) => ({
      statusCode: 202,
      body: await endpoints.recover(
        appId(request),
        endpointId(request),
        bodyOf('recoverEndpoint', request, 'recovery'),
      ),
    }),
    listEndpointAttempts: async (request) =>
      ok(
        pageView(
          await endpoints.attempts(
            appId(request),
            endpointId(request),
            queryOf('listEndpointAttempts', request),
          ),
          attemptView,
        ),
      ),
    getEndpointStats: async (request) =>
      ok(await endpoints.stats(appId(request), endpointId(request), queryOf('getEndpointStats', request))),
    getEndpointSecret: async (request) =>
      ok({ key: await endpoints.getSecret(appId(request), endpointId(request)) }),
    rotateEndpointSecret: async (request) => {
      await endpoints.rotateSecret(
        appId(request),
        endpointId(request),
        bodyOf('rotateEndpointSecret', request, 'rotation'),
      );
      return noContent;
    },
    receiveNotification: async (request) => {
      const { wait } = queryOf('receiveNotification', request);
      const received = await pulls.receive(appId(request), endpointId(request), wait);
      return received === undefined ? noContent : ok(notificationView(received));
    },
    deleteNotification: async (request) => {
      await pulls.delete(appId(request), endpointId(request), param(request, 'receiptId'));
      return noContent;
    },
    sendMessage: async (request) => {
      const accepted = await messages.accept(appId(request), bodyOf('sendMessage', request, 'message'));
      return accepted.created
        ? { statusCode: 202, body: messageView(accepted.message) }
        : {
            statusCode: 200,
            body: messageView(accepted.message),
            headers: { 'Idempotent-Replayed': 'true' },
          };
    },
    sendMessageBatch: async (request) => {
      const { messages: items } = bodyOf('sendMessageBatch', request, 'batch');
      const results = await messages.acceptBatch(appId(request), items);
      // Each result as its own call would have answered: 202 accepted, 200 replayed, 422 refused.
      return ok({
        data: results.map((result) =>
          'accepted' in result
            ? { status: result.accepted.created ? 202 : 200, message: messageView(result.accepted.message) }
            : { status: 422, ...errorEnvelope(result.refused) },
        ),
      });
    },
    listMessages: async (request) =>
      ok(pageView(await messages.list(appId(request), queryOf('listMessages', request)), messageView)),
    resendMessage: async (request) => ({
      statusCode: 202,
      body: await messages.resend(appId(request), param(request, 'msgId'), endpointId(request)),
    }),
    getMessage: async (request) =>
      ok(messageWithDeliveriesView(await messages.get(appId(request), param(request, 'msgId')))),
    listMessageAttempts: async (request) =>
      ok(
        pageView(
          await messages.listAttempts(
            appId(request),
            param(request, 'msgId'),
            queryOf('listMessageAttempts', request),
          ),
          attemptView,
        ),
      ),
  };
}

/** The routes the API function serves: exactly those of the contract, each with its handler. */
export function apiRoutes(services: ApiServices): Route[] {
  const handlers = routeHandlers(services);
  return ROUTE_IDS.map((id) => ({ id, ...ROUTES[id], handle: handlers[id] }));
}
