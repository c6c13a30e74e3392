import type { z } from 'zod';
import type { RouteId } from '../../contract/routes';
import {
  createAppSchema,
  createEndpointSchema,
  createEventTypeSchema,
  createMessageSchema,
  endpointAttemptsQuerySchema,
  messageBatchSchema,
  messageListQuerySchema,
  pageQuerySchema,
  receiveQuerySchema,
  recoverSchema,
  rotateSecretSchema,
  statsQuerySchema,
  updateAppSchema,
  updateEndpointSchema,
  updateEventTypeSchema,
} from '../../core/schemas';
import { TEST_ATTEMPT_TIMEOUT_MS, TEST_WAIT_MS } from '../../core/webhook';
import {
  apiKeyResponse,
  appResponse,
  attemptResponse,
  batchResponse,
  createdApiKeyResponse,
  egressIpsResponse,
  endpointResponse,
  endpointStatsResponse,
  eventTypeResponse,
  healthResponse,
  messageResponse,
  messageWithDeliveriesResponse,
  notificationResponse,
  pageResponse,
  recoverResponse,
  resendResponse,
  secretResponse,
} from './response-schemas';

/** What one route reads and answers: the handlers parse with `body` and `query`, the OpenAPI document is made of all of it. */
export interface RouteSchemas {
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** The status of success, and what it carries (nothing for 204). */
  readonly status: 200 | 201 | 202 | 204;
  readonly response?: z.ZodType;
}

/** Every route's schemas: a route of the contract without them does not compile. */
export const ROUTE_SCHEMAS = {
  health: { summary: 'Liveness, without a key.', status: 200, response: healthResponse },
  listEgressIps: {
    summary: 'The addresses webhooks are sent from, for receivers to allow.',
    status: 200,
    response: egressIpsResponse,
  },
  openApi: { summary: 'This document.', status: 200 },

  createApp: { summary: 'Create an application.', body: createAppSchema, status: 201, response: appResponse },
  listApps: {
    summary: 'List applications.',
    query: pageQuerySchema,
    status: 200,
    response: pageResponse(appResponse),
  },
  getApp: { summary: 'Read an application.', status: 200, response: appResponse },
  updateApp: { summary: 'Update an application.', body: updateAppSchema, status: 200, response: appResponse },
  deleteApp: { summary: 'Delete an application, its keys and its endpoints.', status: 204 },

  createAppKey: {
    summary: 'Create an application key: the key is in this answer only.',
    status: 201,
    response: createdApiKeyResponse,
  },
  listAppKeys: {
    summary: "List an application's keys (never the keys themselves).",
    query: pageQuerySchema,
    status: 200,
    response: pageResponse(apiKeyResponse),
  },
  revokeAppKey: { summary: 'Revoke an application key.', status: 204 },

  createEventType: {
    summary: 'Add an event type to the catalogue.',
    body: createEventTypeSchema,
    status: 201,
    response: eventTypeResponse,
  },
  listEventTypes: {
    summary: 'List the catalogue.',
    query: pageQuerySchema,
    status: 200,
    response: pageResponse(eventTypeResponse),
  },
  getEventType: { summary: 'Read an event type.', status: 200, response: eventTypeResponse },
  updateEventType: {
    summary: 'Update an event type.',
    body: updateEventTypeSchema,
    status: 200,
    response: eventTypeResponse,
  },
  archiveEventType: { summary: 'Archive an event type: its messages are refused from then on.', status: 204 },

  createEndpoint: {
    summary: 'Register an endpoint.',
    body: createEndpointSchema,
    status: 201,
    response: endpointResponse,
  },
  listEndpoints: {
    summary: "List an application's endpoints.",
    query: pageQuerySchema,
    status: 200,
    response: pageResponse(endpointResponse),
  },
  getEndpoint: { summary: 'Read an endpoint.', status: 200, response: endpointResponse },
  updateEndpoint: {
    summary: 'Update an endpoint.',
    body: updateEndpointSchema,
    status: 200,
    response: endpointResponse,
  },
  deleteEndpoint: { summary: 'Delete an endpoint.', status: 204 },
  getEndpointSecret: {
    summary: "Read the endpoint's signing secret.",
    status: 200,
    response: secretResponse,
  },
  testEndpoint: {
    summary: `Send the endpoint a webhook.test now and answer the attempt, which gives up after ${TEST_ATTEMPT_TIMEOUT_MS / 1000} s or the attempt timeout, if shorter (202 with the msgId instead when the send waits over ${(TEST_WAIT_MS - TEST_ATTEMPT_TIMEOUT_MS) / 1000} s to reach the delivery function, for the endpoint's rate limit say).`,
    status: 200,
    response: attemptResponse,
  },
  recoverEndpoint: {
    summary: 'Send again every failed delivery of the endpoint whose message was accepted since a time.',
    body: recoverSchema,
    status: 202,
    response: recoverResponse,
  },
  listEndpointAttempts: {
    summary: "List the endpoint's attempts, newest first (`?outcome=failed` for failures only).",
    query: endpointAttemptsQuerySchema,
    status: 200,
    response: pageResponse(attemptResponse),
  },
  getEndpointStats: {
    summary:
      "Count the endpoint's succeeded, failed and pending deliveries of messages accepted in a window (default: the last 24 h); for a poll endpoint, also how many were pulled.",
    query: statsQuerySchema,
    status: 200,
    response: endpointStatsResponse,
  },
  rotateEndpointSecret: {
    summary: 'Rotate the signing secret (given or generated); the old one signs along for 24 h.',
    body: rotateSecretSchema,
    status: 204,
  },
  receiveNotification: {
    summary:
      'Poll endpoints: the oldest notification not yet deleted, again until it is deleted; 204 when none arrives within ?wait= seconds.',
    query: receiveQuerySchema,
    status: 200,
    response: notificationResponse,
  },
  deleteNotification: {
    summary:
      'Poll endpoints: confirm the notification with this receipt; the next receive returns the one after it.',
    status: 204,
  },

  sendMessage: {
    summary: 'Send a message (202), or replay the first one of its eventId (200).',
    body: createMessageSchema,
    status: 202,
    response: messageResponse,
  },
  sendMessageBatch: {
    summary: 'Send up to 100 messages, each with its own result.',
    body: messageBatchSchema,
    status: 200,
    response: batchResponse,
  },
  listMessages: {
    summary: "List an application's messages, newest first.",
    query: messageListQuerySchema,
    status: 200,
    response: pageResponse(messageResponse),
  },
  getMessage: {
    summary: 'Read a message and the state of each of its deliveries.',
    status: 200,
    response: messageWithDeliveriesResponse,
  },
  resendMessage: {
    summary:
      'Send the message to the endpoint again now: a manual attempt; the retry ladder is not restarted.',
    status: 202,
    response: resendResponse,
  },
  listMessageAttempts: {
    summary: 'List every attempt of a message.',
    query: pageQuerySchema,
    status: 200,
    response: pageResponse(attemptResponse),
  },
} as const satisfies Record<RouteId, RouteSchemas>;
