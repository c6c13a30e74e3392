import type { z } from 'zod';
import { MalformedRequestError } from '../../core/errors';
import {
  createAppSchema,
  createEndpointSchema,
  createEventTypeSchema,
  createMessageSchema,
  messageListQuerySchema,
  pageQuerySchema,
  parseInput,
  rotateSecretSchema,
  updateAppSchema,
  updateEndpointSchema,
  updateEventTypeSchema,
} from '../../core/schemas';
import type { Services } from '../../services';
import type { ApiRequest, ApiResponse, Route } from './types';
import {
  appView,
  attemptView,
  endpointView,
  eventTypeView,
  messageView,
  messageWithDeliveriesView,
  pageView,
} from './views';

const ok = (body: unknown): ApiResponse => ({ statusCode: 200, body });
const created = (body: unknown): ApiResponse => ({ statusCode: 201, body });
const noContent: ApiResponse = { statusCode: 204 };

/** A bad query string is a malformed request (400), unlike a bad body (422). */
function parseQuery<Schema extends z.ZodType>(schema: Schema, request: ApiRequest): z.output<Schema> {
  const result = schema.safeParse(request.query);
  if (result.success) return result.data;
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

/** Every route of SPEC §2 that exists so far: thin adapters from HTTP to one service call. */
export function apiRoutes(services: Services): Route[] {
  const { apps, eventTypes, endpoints, messages } = services;
  const appId = (request: ApiRequest) => param(request, 'appId');
  const endpointId = (request: ApiRequest) => param(request, 'endpointId');

  return [
    { method: 'GET', path: '/v1/health', access: 'public', handle: async () => ok({ status: 'ok' }) },

    {
      method: 'POST',
      path: '/v1/apps',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        created(appView(await apps.create(parseInput(createAppSchema, request.body, 'application')))),
    },
    {
      method: 'GET',
      path: '/v1/apps',
      access: 'admin',
      handle: async (request) => ok(pageView(await apps.list(parseQuery(pageQuerySchema, request)), appView)),
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}',
      access: 'admin',
      handle: async (request) => ok(appView(await apps.get(appId(request)))),
    },
    {
      method: 'PATCH',
      path: '/v1/apps/{appId}',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        ok(
          appView(
            await apps.update(appId(request), parseInput(updateAppSchema, request.body, 'application')),
          ),
        ),
    },
    {
      method: 'DELETE',
      path: '/v1/apps/{appId}',
      access: 'admin',
      handle: async (request) => {
        await apps.delete(appId(request));
        return noContent;
      },
    },

    {
      method: 'POST',
      path: '/v1/event-types',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        created(
          eventTypeView(
            await eventTypes.create(parseInput(createEventTypeSchema, request.body, 'event type')),
          ),
        ),
    },
    {
      method: 'GET',
      path: '/v1/event-types',
      access: 'admin',
      handle: async (request) =>
        ok(pageView(await eventTypes.list(parseQuery(pageQuerySchema, request)), eventTypeView)),
    },
    {
      method: 'GET',
      path: '/v1/event-types/{name}',
      access: 'admin',
      handle: async (request) => ok(eventTypeView(await eventTypes.get(param(request, 'name')))),
    },
    {
      method: 'PATCH',
      path: '/v1/event-types/{name}',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        ok(
          eventTypeView(
            await eventTypes.update(
              param(request, 'name'),
              parseInput(updateEventTypeSchema, request.body, 'event type'),
            ),
          ),
        ),
    },
    {
      method: 'DELETE',
      path: '/v1/event-types/{name}',
      access: 'admin',
      handle: async (request) => {
        await eventTypes.archive(param(request, 'name'));
        return noContent;
      },
    },

    {
      method: 'POST',
      path: '/v1/apps/{appId}/endpoints',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        created(
          endpointView(
            await endpoints.create(
              appId(request),
              parseInput(createEndpointSchema, request.body, 'endpoint'),
            ),
          ),
        ),
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/endpoints',
      access: 'admin',
      handle: async (request) =>
        ok(
          pageView(await endpoints.list(appId(request), parseQuery(pageQuerySchema, request)), endpointView),
        ),
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/endpoints/{endpointId}',
      access: 'admin',
      handle: async (request) => ok(endpointView(await endpoints.get(appId(request), endpointId(request)))),
    },
    {
      method: 'PATCH',
      path: '/v1/apps/{appId}/endpoints/{endpointId}',
      access: 'admin',
      readsBody: true,
      handle: async (request) =>
        ok(
          endpointView(
            await endpoints.update(
              appId(request),
              endpointId(request),
              parseInput(updateEndpointSchema, request.body, 'endpoint'),
            ),
          ),
        ),
    },
    {
      method: 'DELETE',
      path: '/v1/apps/{appId}/endpoints/{endpointId}',
      access: 'admin',
      handle: async (request) => {
        await endpoints.delete(appId(request), endpointId(request));
        return noContent;
      },
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/endpoints/{endpointId}/secret',
      access: 'admin',
      handle: async (request) => ok({ key: await endpoints.getSecret(appId(request), endpointId(request)) }),
    },
    {
      method: 'POST',
      path: '/v1/apps/{appId}/endpoints/{endpointId}/secret/rotate',
      access: 'admin',
      readsBody: true,
      handle: async (request) => {
        await endpoints.rotateSecret(
          appId(request),
          endpointId(request),
          parseInput(rotateSecretSchema, request.body, 'rotation'),
        );
        return noContent;
      },
    },

    {
      method: 'POST',
      path: '/v1/apps/{appId}/messages',
      access: 'admin',
      readsBody: true,
      handle: async (request) => {
        const accepted = await messages.accept(
          appId(request),
          parseInput(createMessageSchema, request.body, 'message'),
        );
        return accepted.created
          ? { statusCode: 202, body: messageView(accepted.message) }
          : {
              statusCode: 200,
              body: messageView(accepted.message),
              headers: { 'Idempotent-Replayed': 'true' },
            };
      },
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/messages',
      access: 'admin',
      handle: async (request) =>
        ok(
          pageView(
            await messages.list(appId(request), parseQuery(messageListQuerySchema, request)),
            messageView,
          ),
        ),
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/messages/{msgId}',
      access: 'admin',
      handle: async (request) =>
        ok(messageWithDeliveriesView(await messages.get(appId(request), param(request, 'msgId')))),
    },
    {
      method: 'GET',
      path: '/v1/apps/{appId}/messages/{msgId}/attempts',
      access: 'admin',
      handle: async (request) =>
        ok(
          pageView(
            await messages.listAttempts(
              appId(request),
              param(request, 'msgId'),
              parseQuery(pageQuerySchema, request),
            ),
            attemptView,
          ),
        ),
    },
  ];
}
