import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteId } from '../../lambdas/contract/routes';
import { type LocalApiServer, startApiGatewayServer } from '../../lambdas/local/api-gateway-server';
import { API_KEY, DeployedPolicyApi } from '../support/deployed-policy-api';
import {
  type Fixtures,
  type FuzzRequest,
  type RequestOutcome,
  type WritingRouteId,
  writingRouteFuzz,
} from '../support/fuzz-requests';

/**
 * Property-based fuzzing of every route that writes, through the API function as deployed
 * (API Gateway proxy events in, over dynalite). Each generated request is valid, or hostile
 * in one way (test/support/fuzz-requests.ts). Whatever it is, the answer is never a 5xx, a
 * refusal is always the error envelope, and a refused request writes nothing: every
 * DynamoDB write that succeeds is counted. A valid request is accepted.
 *
 * Seeded: `HOOKPOST_FUZZ_SEED=<seed>` replays a run (the seed is printed, and fast-check
 * prints the failing request's path); `HOOKPOST_FUZZ_RUNS` raises the number of requests.
 */
const TOTAL_RUNS = Number(process.env.HOOKPOST_FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.HOOKPOST_FUZZ_SEED ?? Date.now() % 2 ** 31);

/** DynamoDB's write operations; a refused request must complete none of them. */
const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

const WRITING_ROUTE_IDS = Object.keys(writingRouteFuzz) as WritingRouteId[];
const RUNS_PER_ROUTE = Math.ceil(TOTAL_RUNS / WRITING_ROUTE_IDS.length);

describe('fuzzing every writing route', () => {
  let api: DeployedPolicyApi;
  let fixtures: Fixtures;
  let completedWrites = 0;
  const requestsSent: Partial<Record<RouteId, number>> = {};
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    api = await DeployedPolicyApi.start();
    api.tables.onCall(({ operation, status }) => {
      if (WRITE_OPERATIONS.has(operation) && status === 200) completedWrites += 1;
    });
    const app = await api.json('POST', '/v1/apps', { name: 'Fuzz target' });
    const endpoint = await api.json('POST', `/v1/apps/${String(app.body.id)}/endpoints`, {
      url: 'https://hooks.example.com/fuzz',
    });
    const eventType = await api.json('POST', '/v1/event-types', { name: 'fuzz.target' });
    expect([app.status, endpoint.status, eventType.status]).toEqual([201, 201, 201]);
    // The count sees writes: the fixtures' own.
    expect(completedWrites).toBeGreaterThanOrEqual(3);
    // The endpoint the update routes change (and may disable) is not the one the others act on.
    const changed = await api.json('POST', `/v1/apps/${String(app.body.id)}/endpoints`, {
      url: 'https://hooks.example.com/changed',
    });
    expect(changed.status).toBe(201);
    fixtures = {
      appId: String(app.body.id),
      endpointId: String(endpoint.body.id),
      changedEndpointId: String(changed.body.id),
      eventType: 'fuzz.target',
    };
    console.log(`fuzz: seed ${SEED} (replay with HOOKPOST_FUZZ_SEED=${SEED})`);
  });

  afterAll(async () => {
    const total = Object.values(requestsSent).reduce((sum, count) => sum + count, 0);
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
    console.log(
      `fuzz: ${total} requests to ${WRITING_ROUTE_IDS.length} writing routes, seed ${SEED}; ` +
        `answers ${byStatus.join(', ')}`,
    );
    await api?.stop();
  });

  it('covers every route that writes: each has its generators', () => {
    const writing = (Object.keys(ROUTES) as RouteId[]).filter((id) => ROUTES[id].method !== 'GET');
    expect(WRITING_ROUTE_IDS.sort()).toEqual(writing.sort());
  });

  it.each(WRITING_ROUTE_IDS)(
    '%s: never a 5xx, refusals in the envelope and without a write, valid requests accepted',
    async (routeId) => {
      await fc.assert(
        fc.asyncProperty(writingRouteFuzz[routeId], async (build) => {
          const request = build(fixtures);
          const writesBefore = completedWrites;
          const outcome = await send(api, request);
          requestsSent[routeId] = (requestsSent[routeId] ?? 0) + 1;
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          checkOutcome(request, outcome, completedWrites - writesBefore);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
      expect(requestsSent[routeId]).toBeGreaterThanOrEqual(RUNS_PER_ROUTE);
    },
    300_000,
  );

  it(`sent at least ${TOTAL_RUNS} requests`, () => {
    const total = Object.values(requestsSent).reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(TOTAL_RUNS);
  });
});

async function send(api: DeployedPolicyApi, request: FuzzRequest): Promise<RequestOutcome> {
  const answer = await api.call(request.method, request.path, {
    rawBody: request.body,
    headers: request.headers,
  });
  return { status: answer.status, text: answer.text };
}

function checkOutcome(request: FuzzRequest, outcome: RequestOutcome, writes: number): void {
  const context = `${request.method} ${request.path} (${request.what}) answered ${outcome.status}: ${outcome.text.slice(0, 300)}`;
  expect(outcome.status, context).toBeLessThan(500);
  if (outcome.status >= 400) {
    expect(JSON.parse(outcome.text), context).toEqual({
      error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
    });
    expect(writes, `${context}: a refused request wrote ${writes} times`).toBe(0);
  }
  if (request.expect === 'accepted') expect(outcome.status, context).toBeLessThan(300);
  if (request.expect === 'refused') expect(outcome.status, context).toBeGreaterThanOrEqual(400);
}

/**
 * The query strings of every route that reads: known parameters with hostile values and
 * unknown ones, through the API function as deployed. Never a 5xx; a refusal in the envelope.
 */
describe('fuzzing the query strings of every reading route', () => {
  const QUERY_RUNS = 1_000;
  const READING_ROUTE_IDS = (Object.keys(ROUTES) as RouteId[]).filter((id) => ROUTES[id].method === 'GET');
  let api: DeployedPolicyApi;
  let params: Record<string, string>;

  beforeAll(async () => {
    api = await DeployedPolicyApi.start();
    const app = await api.json('POST', '/v1/apps', { name: 'Query target' });
    const endpoint = await api.json('POST', `/v1/apps/${String(app.body.id)}/endpoints`, {
      url: 'https://hooks.example.com/query',
    });
    params = { appId: String(app.body.id), endpointId: String(endpoint.body.id), name: 'none.such' };
  });
  afterAll(async () => {
    await api?.stop();
  });

  const names = fc.oneof(
    fc.constantFrom('limit', 'cursor', 'eventType', 'after', 'before', 'outcome', 'since', 'until'),
    fc.string({ maxLength: 12 }),
  );
  const values = fc.oneof(
    fc.constantFrom(
      '0',
      '-1',
      '251',
      '1e400',
      'NaN',
      '2026-13-45T99:00:00Z',
      'failed',
      '',
      '%',
      'x'.repeat(5000),
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );

  it(`answers ${QUERY_RUNS} hostile queries below 500, in the envelope when refused`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...READING_ROUTE_IDS),
        fc.array(fc.tuple(names, values), { maxLength: 4 }),
        async (id, query) => {
          const path = ROUTES[id].path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? name);
          const answer = await api.call('GET', path, { query });
          const context = `GET ${path}?${new URLSearchParams(query)} answered ${answer.status}: ${answer.text.slice(0, 200)}`;
          expect(answer.status, context).toBeLessThan(500);
          if (answer.status >= 400) {
            expect(JSON.parse(answer.text), context).toEqual({
              error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
            });
          }
        },
      ),
      { seed: SEED, numRuns: QUERY_RUNS, endOnFailure: true },
    );
  });
});

/**
 * Below the handler: local mode's HTTP server (lambdas/local/api-gateway-server.ts), fed raw
 * request lines over a socket on 127.0.0.1. What Node's HTTP parser refuses gets Node's own
 * 400; everything else reaches the server, which must answer in the envelope and below 500.
 */
describe('fuzzing the local HTTP server with raw requests', () => {
  const RAW_RUNS = 500;
  let api: DeployedPolicyApi;
  let server: LocalApiServer;

  beforeAll(async () => {
    api = await DeployedPolicyApi.start();
    server = await startApiGatewayServer({ handler: api.handler, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await api?.stop();
  });

  const target = fc.oneof(
    fc.constantFrom(
      '//[',
      '//',
      '/%',
      '*',
      'http://hooks.example.com/v1/apps',
      '/v1/apps/%E0%A4%A',
      '/v1/apps?%',
    ),
    fc
      .constantFrom('/v1/apps', '/v1/event-types', '/v1/health')
      .chain((path) => fc.stringMatching(/^[!-~]{0,60}$/).map((tail) => `${path}${tail}`)),
    fc.stringMatching(/^[!-~]{1,80}$/),
  );
  const method = fc.constantFrom(
    'GET',
    'POST',
    'PATCH',
    'DELETE',
    'PUT',
    'OPTIONS',
    'HEAD',
    'PROPFIND',
    'get',
  );
  const body = fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 200 }),
    fc.jsonValue().map((json) => JSON.stringify(json)),
  );

  it(`answers ${RAW_RUNS} raw requests below 500, in the envelope when the request reached it`, async () => {
    const { port } = new URL(server.url);
    await fc.assert(
      fc.asyncProperty(method, target, body, async (verb, path, text) => {
        const answer = await rawRequest(Number(port), verb, path, text);
        const context = `${verb} ${path} answered ${answer.head.split('\r\n')[0]}`;
        expect(answer.status, context).toBeGreaterThanOrEqual(200);
        expect(answer.status, context).toBeLessThan(500);
        if (answer.status >= 400 && verb !== 'HEAD' && /content-type: application\/json/i.test(answer.head)) {
          expect(JSON.parse(answer.body), context).toEqual({
            error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
          });
        } else if (answer.status >= 400 && verb !== 'HEAD') {
          // Only Node's parser answers without the envelope, and only with its bare 400.
          expect(answer.status, context).toBe(400);
        }
      }),
      { seed: SEED, numRuns: RAW_RUNS, endOnFailure: true },
    );
  });
});

/** One HTTP/1.1 request written byte for byte, with `Connection: close`; the answer split into head and body. */
function rawRequest(
  port: number,
  method: string,
  target: string,
  body: string,
): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const rest = text.slice(split + 4);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        head,
        body: /transfer-encoding: chunked/i.test(head) ? dechunk(rest) : rest,
      });
    });
    const payload = Buffer.from(body, 'utf8');
    // write, not end: Node's server drops the answer to a request whose sender half-closed.
    socket.write(
      Buffer.concat([
        Buffer.from(
          `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
          'latin1',
        ),
        payload,
      ]),
    );
  });
}

/** The body of a chunked answer: each chunk is its size in hex, CRLF, the bytes, CRLF. */
function dechunk(text: string): string {
  let body = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
