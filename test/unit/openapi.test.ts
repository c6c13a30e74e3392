import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { ROUTE_IDS, ROUTES } from '../../lambdas/contract/routes';
import { openApiDocument } from '../../lambdas/handlers/http/openapi';
import {
  apiKeyResponse,
  appResponse,
  attemptResponse,
  endpointResponse,
  eventTypeResponse,
  messageResponse,
  messageWithDeliveriesResponse,
} from '../../lambdas/handlers/http/response-schemas';
import {
  apiKeyView,
  appView,
  attemptView,
  endpointView,
  eventTypeView,
  messageView,
  messageWithDeliveriesView,
} from '../../lambdas/handlers/http/views';
import { aDelivery, aMessage, anApp, anAttempt, anEndpoint, anEventType } from '../support/fixtures';

interface Operation {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
const document = openApiDocument() as { paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the API serves, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = ROUTE_IDS.map((id) => `${ROUTES[id].method} ${ROUTES[id].path}`);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('describes bodies and answers with JSON Schemas a 2020-12 validator compiles', () => {
    const ajv = new Ajv2020({ strict: false });
    const schemas = Object.values(document.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((operation) => [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ])
      .map((content) => content.schema);
    expect(schemas.length).toBeGreaterThan(ROUTE_IDS.length);
    for (const schema of schemas) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it.each([
    ['app', () => appView(anApp()), appResponse],
    ['event type', () => eventTypeView(anEventType()), eventTypeResponse],
    ['endpoint', () => endpointView(anEndpoint('app_1')), endpointResponse],
    ['message', () => messageView(aMessage('app_1')), messageResponse],
    [
      'message with deliveries',
      () => {
        const message = aMessage('app_1');
        return messageWithDeliveriesView({ ...message, deliveries: [aDelivery(message, 'ep_1')] });
      },
      messageWithDeliveriesResponse,
    ],
    ['attempt', () => attemptView(anAttempt(aDelivery(aMessage('app_1'), 'ep_1'), 1)), attemptResponse],
    [
      'key',
      () => apiKeyView({ id: 'key_1', appId: 'app_1', keyHash: 'hash', createdAt: '2026-11-23T00:00:00Z' }),
      apiKeyResponse,
    ],
  ] as const)('shows an %s exactly as documented: the same fields, no more', (_what, view, schema) => {
    const shown = view();
    expect(Object.keys(shown).sort()).toEqual(Object.keys(schema.shape).sort());
    expect(schema.strict().safeParse(shown).error?.issues ?? []).toEqual([]);
  });
});
