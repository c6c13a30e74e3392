import * as z from 'zod';
import { version } from '../../../package.json';
import { ROUTE_IDS, ROUTES, type RouteSpec } from '../../contract/routes';
import { errorResponseSchema } from './response-schemas';
import { ROUTE_SCHEMAS, type RouteSchemas } from './route-schemas';

/**
 * The OpenAPI 3.1 document of the API, served at GET /v1/openapi.json. It is generated: the
 * paths are the contract's routes (lambdas/contract/routes.ts), and every request body,
 * query and answer is the JSON Schema (2020-12, OpenAPI 3.1's own dialect) of the zod
 * schema the handler parses with or the view is typed by (route-schemas.ts). What is
 * served and what is documented cannot drift apart.
 */

type JsonSchema = Record<string, unknown>;

/** Input shape for what callers send, output shape for what they get back. */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const ACCESS: Record<RouteSpec['access'], string> = {
  public: 'No key.',
  anyKey: 'The admin key or any application key.',
  app: "The admin key, or a key of the application in the path (another application's ids answer 404).",
  admin: 'The admin key only (an application key gets 403, or 404 on another application).',
};

function pathParameters(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
}

function queryParameters(schemas: RouteSchemas) {
  if (schemas.query === undefined) return [];
  const object = jsonSchema(schemas.query, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: object.required?.includes(name) ?? false,
    schema,
  }));
}

function operation(id: (typeof ROUTE_IDS)[number]) {
  const route = ROUTES[id];
  const schemas: RouteSchemas = ROUTE_SCHEMAS[id];
  const json = (schema: z.ZodType, io: 'input' | 'output') => ({
    'application/json': { schema: jsonSchema(schema, io) },
  });
  return {
    operationId: id,
    summary: schemas.summary,
    description: ACCESS[route.access],
    security: route.access === 'public' ? [] : [{ bearerKey: [] }],
    parameters: [...pathParameters(route.path), ...queryParameters(schemas)],
    ...(schemas.body === undefined
      ? {}
      : { requestBody: { required: route.body === 'required', content: json(schemas.body, 'input') } }),
    responses: {
      [String(schemas.status)]: {
        description: schemas.status === 204 ? 'Done; no content.' : 'Success.',
        ...(schemas.response === undefined ? {} : { content: json(schemas.response, 'output') }),
      },
      default: {
        description: 'An error, in the error envelope.',
        content: json(errorResponseSchema, 'output'),
      },
    },
  };
}

let document: object | undefined;

export function openApiDocument(): object {
  if (document !== undefined) return document;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const id of ROUTE_IDS) {
    const route = ROUTES[id];
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(id) };
  }
  document = {
    openapi: '3.1.0',
    info: {
      title: 'Hookpost',
      version,
      description: 'Webhooks sent from your own AWS account: signed, retried, recorded.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: {
        bearerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <admin or application key>',
        },
      },
    },
  };
  return document;
}
