/**
 * `npm run bench`: how fast local mode accepts and delivers, measured end to end through
 * the real handlers, the embedded store (in memory) and a receiver on 127.0.0.1.
 * Prints accept latency, delivery latency (accepted → received), throughput and memory.
 * Usage: npm run bench -- [messages=1000] [endpoints=2]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { loadLocalConfig } from '../lambdas/config';
import { proxyEvent } from '../lambdas/local/api-gateway-server';
import { startEmbeddedDynamoDb } from '../lambdas/local/embedded-dynamodb';
import { createLocalRuntime } from '../lambdas/local/runtime';
import { createLocalWorker } from '../lambdas/local/worker';
import { createJsonLogger } from '../lambdas/logger';

const messages = Number(process.argv[2] ?? 1000);
const endpoints = Number(process.argv[3] ?? 2);
const ADMIN_KEY = 'hpk_admin_bench_0123456789abcdef';

const acceptedAt = new Map<string, number>();
const deliveryLatencies: number[] = [];
let received = 0;
let allReceived: () => void = () => {};
const done = new Promise<void>((resolve) => {
  allReceived = resolve;
});

const receiver = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const sent = acceptedAt.get(String(request.headers['webhook-id']));
    if (sent !== undefined) deliveryLatencies.push(performance.now() - sent);
    response.end('ok');
    if (++received === messages * endpoints) allReceived();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const dynamo = await startEmbeddedDynamoDb(undefined);
const config = loadLocalConfig({ HOOKPOST_LOG_LEVEL: 'error' });
const logger = createJsonLogger(config.logLevel);
const runtime = await createLocalRuntime({
  config,
  dynamoEndpoint: dynamo.endpoint,
  adminKey: ADMIN_KEY,
  logger,
});
const worker = createLocalWorker(runtime, { logger, attemptTimeoutMs: config.attemptTimeoutMs });
worker.start();

const call = async (method: string, path: string, body: unknown) => {
  const result = await runtime.handlers.api(
    proxyEvent({
      method,
      path,
      headers: [['Authorization', `Bearer ${ADMIN_KEY}`]],
      query: [],
      body: JSON.stringify(body),
      sourceIp: '127.0.0.1',
    }),
  );
  worker.nudge();
  if (result.statusCode >= 300) throw new Error(`${method} ${path}: ${result.statusCode} ${result.body}`);
  return JSON.parse(result.body);
};

await call('POST', '/v1/event-types', { name: 'bench.event' });
const app = await call('POST', '/v1/apps', { name: 'Bench' });
for (let index = 0; index < endpoints; index++) {
  await call('POST', `/v1/apps/${app.id}/endpoints`, { url: `${receiverUrl}/hook/${index}` });
}

const acceptLatencies: number[] = [];
let peakRss = process.memoryUsage().rss;
const started = performance.now();
for (let index = 0; index < messages; index++) {
  const before = performance.now();
  const message = await call('POST', `/v1/apps/${app.id}/messages`, {
    eventType: 'bench.event',
    payload: { index, note: 'x'.repeat(200) },
  });
  acceptedAt.set(message.id, before);
  acceptLatencies.push(performance.now() - before);
  if (index % 100 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const acceptSeconds = (performance.now() - started) / 1000;
await done;
const totalSeconds = (performance.now() - started) / 1000;
peakRss = Math.max(peakRss, process.memoryUsage().rss);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
console.log(`local pipeline: ${messages} messages × ${endpoints} endpoints (node ${process.version})`);
console.log(
  `  accept   p50 ${ms(percentile(acceptLatencies, 50))}  p99 ${ms(percentile(acceptLatencies, 99))}  ${(messages / acceptSeconds).toFixed(0)} messages/s`,
);
console.log(
  `  deliver  p50 ${ms(percentile(deliveryLatencies, 50))}  p99 ${ms(percentile(deliveryLatencies, 99))}  ${(received / totalSeconds).toFixed(0)} deliveries/s`,
);
console.log(`  memory   peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);

await worker.stop();
runtime.close();
await dynamo.close();
receiver.close();
