/**
 * `npm run bench:local`: local mode against the wire, in one process and one run, to one
 * receiver on 127.0.0.1:
 *   (a) plain POSTs of the payloads straight to the receiver, from 16 concurrent callers:
 *       the baseline, in deliveries/s;
 *   (b) the same number of messages accepted through the API by 16 concurrent callers and
 *       delivered by local mode: deliveries/s, and their ratio to (a);
 *   (c) an offered load (100 messages/s for 20 s), each message's accept → receipt latency;
 *   (d) the peak RSS of the process (local mode, receiver and callers together).
 * (a) and (b) also say how much CPU each delivery took (every thread of the process): a
 * figure that other work on the machine inflates less than a rate.
 * Local mode is what `npm start` runs (lambdas/local/local-mode.ts): dynalite on LevelDB in
 * a fresh temporary data directory, the HTTP API server, the worker. Payloads are 1 KiB
 * JSON invoices (test/support/fixtures.ts). Speed is measured here, never asserted in a test.
 * Usage: npm run bench:local -- [messages=2000] [callers=16] [offeredPerSecond=100] [offeredSeconds=20]
 */

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadLocalConfig } from '../lambdas/config';
import { startLocalMode } from '../lambdas/local/local-mode';
import { createJsonLogger } from '../lambdas/logger';
import { anInvoicePayload } from '../test/support/fixtures';
import { cpuMsSince, post, Receiver } from './loopback-http';

const messages = Number(process.argv[2] ?? 2000);
const callers = Number(process.argv[3] ?? 16);
const offeredPerSecond = Number(process.argv[4] ?? 100);
const offeredSeconds = Number(process.argv[5] ?? 20);
const ADMIN_KEY = 'hpk_admin_bench_0123456789abcdef';
const EVENT_TYPE = 'invoice.paid';

/** An HTTP client with its connections kept alive, as any sender worth comparing with does. */
const agent = new http.Agent({ keepAlive: true, maxSockets: callers });

/** Runs `work(0..count-1)` from `concurrency` callers, each taking the next index when it is free. */
async function fromCallers(count: number, concurrency: number, work: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < count; index = next++) await work(index);
    }),
  );
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);
const payloads = Array.from({ length: messages }, (_, index) => anInvoicePayload(index));
const payloadBytes = Buffer.byteLength(JSON.stringify(payloads[0]));

/** The largest RSS sampled, with the process's memory as it was then (the JS heap, buffers). */
let peakSample = process.memoryUsage();
const rssSampler = setInterval(() => {
  const sample = process.memoryUsage();
  if (sample.rss > peakSample.rss) peakSample = sample;
}, 50);

const receiver = new Receiver();
const receiverUrl = await receiver.listen();

// (a) The baseline: the payloads POSTed straight to the receiver.
const plainStarted = performance.now();
const plainCpu = process.cpuUsage();
await fromCallers(messages, callers, async (index) => {
  const { status } = await post(`${receiverUrl}/plain`, JSON.stringify(payloads[index]), {}, agent);
  if (status !== 200) throw new Error(`plain POST answered ${status}`);
});
const plainPerSecond = messages / ((performance.now() - plainStarted) / 1000);
const plainCpuMsEach = cpuMsSince(plainCpu) / messages;

// Local mode as `npm start` runs it, on a data directory of its own.
const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-bench-'));
const config = loadLocalConfig({
  PORT: '0',
  HOOKPOST_DATA_DIR: dataDir,
  HOOKPOST_ADMIN_KEY: ADMIN_KEY,
  HOOKPOST_LOG_LEVEL: 'error',
});
const local = await startLocalMode(config, createJsonLogger(config.logLevel));
const call = async (path: string, body: unknown) => {
  const response = await post(
    `${local.url}${path}`,
    JSON.stringify(body),
    { authorization: `Bearer ${ADMIN_KEY}` },
    agent,
  );
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${response.body}`);
  return JSON.parse(response.body) as { id: string };
};
await call('/v1/event-types', { name: EVENT_TYPE });
const app = await call('/v1/apps', { name: 'Bench' });
await call(`/v1/apps/${app.id}/endpoints`, { url: `${receiverUrl}/hook` });
const send = (index: number) =>
  call(`/v1/apps/${app.id}/messages`, { eventType: EVENT_TYPE, payload: payloads[index % payloads.length] });

// (b) Throughput: every message accepted by the callers, then delivered.
const pipelineStarted = performance.now();
const pipelineCpu = process.cpuUsage();
await fromCallers(messages, callers, async (index) => {
  await send(index);
});
const acceptedAfter = performance.now() - pipelineStarted;
await receiver.untilDistinct(messages);
const pipelineSeconds = (performance.now() - pipelineStarted) / 1000;
const pipelineCpuMsEach = cpuMsSince(pipelineCpu) / messages;
const pipelinePerSecond = messages / pipelineSeconds;
const duplicatesInThroughputRun = receiver.webhooks - messages;

// (c) Latency under an offered load: messages sent on a fixed schedule, whatever the answers.
const offered = offeredPerSecond * offeredSeconds;
const sentAt = new Map<string, number>();
const offeredStarted = performance.now();
const sends: Promise<void>[] = [];
for (let index = 0; index < offered; index++) {
  const due = offeredStarted + (index * 1000) / offeredPerSecond;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const before = performance.now();
  sends.push(send(index).then((message) => void sentAt.set(message.id, before)));
}
await Promise.all(sends);
await receiver.untilDistinct(messages + offered);
const latencies = [...sentAt].map(
  ([id, before]) => (receiver.firstReceivedAt.get(id) ?? Number.NaN) - before,
);

clearInterval(rssSampler);
const maxRss = process.resourceUsage().maxRSS * 1024; // reported in KiB
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

console.log(
  `local pipeline bench: node ${process.version}, ${payloadBytes}-byte JSON payloads, ${callers} callers, data dir on disk (${tmpdir()})`,
);
console.log(
  `  (a) plain POSTs to the receiver    ${plainPerSecond.toFixed(0)} deliveries/s (${messages} POSTs, ${plainCpuMsEach.toFixed(2)} ms of CPU each)`,
);
console.log(
  `  (b) local pipeline                 ${pipelinePerSecond.toFixed(0)} deliveries/s (${messages} messages, all accepted after ${ms(acceptedAfter)}, last received after ${ms(pipelineSeconds * 1000)}), ratio to (a) ${(pipelinePerSecond / plainPerSecond).toFixed(2)}; ${pipelineCpuMsEach.toFixed(2)} ms of CPU each`,
);
console.log(
  `  (c) ${offeredPerSecond} messages/s offered for ${offeredSeconds} s  accept → receipt p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))}`,
);
console.log(
  `  (d) peak RSS                       ${mib(Math.max(maxRss, peakSample.rss))} (local mode, receiver and callers in one process; at the largest sample ${mib(peakSample.rss)}: JS heap ${mib(peakSample.heapUsed)} used of ${mib(peakSample.heapTotal)}, buffers ${mib(peakSample.arrayBuffers)})`,
);
console.log(
  `      duplicate POSTs (at-least-once) ${receiver.webhooks - messages - offered}, in (b) ${duplicatesInThroughputRun}`,
);

await local.stop();
receiver.close();
agent.destroy();
await rm(dataDir, { recursive: true, force: true });
