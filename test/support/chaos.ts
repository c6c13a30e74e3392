import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookpostProcess } from './hookpost-process';
import { Receiver } from './receiver';

/**
 * The chaos run (README, "Crash safety"): local mode under load from concurrent callers,
 * receivers failing at random, and SIGKILLs of the whole process group at random instants,
 * the last while deliveries run, each followed at once by a restart on the same data
 * directory. Callers whose request died with the server send it again with the same
 * eventId, as a real caller would. Every random choice derives from the seed, so a
 * failing run can be replayed: the receivers' failures from the seed and the message,
 * the kills from the seed and the progress of the run.
 */
export interface ChaosOptions {
  readonly seed: number;
  readonly messages: number;
  readonly callers: number;
  readonly kills: number;
  /** The share of requests each receiver fails. */
  readonly failureRate: number;
  /** The retry ladder, in seconds (HOOKPOST_RETRY_LADDER): short, so that the run settles. */
  readonly retryLadderSeconds: readonly number[];
  /** How long after the last kill everything must have settled. */
  readonly settleTimeoutMs: number;
  /** How long to watch the idle process's CPU use at the end. */
  readonly idleSampleMs: number;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly messages: number;
  readonly accepted: number;
  /** eventIds that ended with more or fewer than one message. */
  readonly eventIdsWithoutExactlyOneMessage: number;
  readonly deliveries: { readonly succeeded: number; readonly failed: number; readonly pending: number };
  /** Deliveries recorded as succeeded that no receiver answered with a 2xx. */
  readonly succeededWithoutReceipt: number;
  /** Receipts answered 2xx beyond the first of a (message, endpoint): at-least-once at work. */
  readonly duplicateReceipts: number;
  /** Requests to the API answered 5xx (a bug: must be 0). */
  readonly serverErrors: number;
  /** Requests to the API that died with the server and were sent again. */
  readonly resentAfterKill: number;
  readonly kills: readonly { readonly afterAccepted: number; readonly afterReceipts: number }[];
  readonly restartMs: readonly number[];
  /** CPU share of the idle process group after everything settled. */
  readonly idleCpuShare: number;
  readonly durationMs: number;
  /** What is wrong; empty when the run passed. */
  readonly problems: readonly string[];
}

const ADMIN_KEY = 'hpk_admin_chaos_0123456789abcdef0123';
const EVENT_TYPE = 'chaos.event';
const ENDPOINT_COUNT = 2;
/** Linux counts CPU time in ticks of 1/100 s (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;
/** The acceptance bound on an idle local mode's CPU use. */
export const IDLE_CPU_LIMIT = 0.02;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const random = seededRandom(options.seed);
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-chaos-'));
  const port = await freePort();
  const env = {
    HOOKPOST_DATA_DIR: dataDir,
    HOOKPOST_ADMIN_KEY: ADMIN_KEY,
    HOOKPOST_RETRY_LADDER: options.retryLadderSeconds.join(','),
    PORT: String(port),
  };
  const receivers = await Promise.all(Array.from({ length: ENDPOINT_COUNT }, () => Receiver.start()));
  /** Per receiver: how many requests for each message it answered 2xx. */
  const okReceipts = receivers.map(() => new Map<number, number>());
  receivers.forEach((receiver, index) => {
    const attempts = new Map<number, number>();
    receiver.reply = (request) => {
      const seq = (JSON.parse(request.body) as { data: { seq: number } }).data.seq;
      const attempt = (attempts.get(seq) ?? 0) + 1;
      attempts.set(seq, attempt);
      if (fraction(`${options.seed}/${index}/${seq}/${attempt}`) < options.failureRate) {
        return { status: 500, body: 'chaos' };
      }
      okReceipts[index]?.set(seq, (okReceipts[index]?.get(seq) ?? 0) + 1);
      return { status: 200, body: 'ok' };
    };
  });

  let hookpost = await HookpostProcess.start(env);
  const url = hookpost.url;
  const problems: string[] = [];
  let serverErrors = 0;
  let resentAfterKill = 0;
  const request = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (response.status >= 500) serverErrors++;
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    };
  };

  try {
    await request('POST', '/v1/event-types', { name: EVENT_TYPE });
    const appId = String((await request('POST', '/v1/apps', { name: 'Chaos' })).body?.id);
    const endpointIds: string[] = [];
    for (const receiver of receivers) {
      const created = await request('POST', `/v1/apps/${appId}/endpoints`, { url: `${receiver.url}/hook` });
      endpointIds.push(String(created.body?.id));
    }

    // Kill points: two while callers send, the others while deliveries run after the last send.
    const expectedReceipts = options.messages * ENDPOINT_COUNT;
    const killPlan = Array.from({ length: options.kills }, (_, index) =>
      index < Math.min(2, options.kills - 1)
        ? { afterAccepted: Math.floor(options.messages * (0.1 + 0.7 * random())), afterReceipts: 0 }
        : {
            afterAccepted: options.messages,
            afterReceipts: Math.floor(expectedReceipts * (0.1 + 0.6 * random())),
          },
    ).sort((a, b) => a.afterAccepted - b.afterAccepted || a.afterReceipts - b.afterReceipts);
    const kills: { afterAccepted: number; afterReceipts: number }[] = [];
    const restartMs: number[] = [];
    const messageIdsBySeq = new Map<number, string>();
    const receipts = () => receivers.reduce((sum, receiver) => sum + receiver.requests.length, 0);

    let restarting: Promise<void> | undefined;
    const killAndRestart = async () => {
      const at = { afterAccepted: messageIdsBySeq.size, afterReceipts: receipts() };
      log(`kill ${kills.length + 1}: ${at.afterAccepted} accepted, ${at.afterReceipts} receipts`);
      kills.push(at);
      await hookpost.stop('SIGKILL');
      const restartStarted = Date.now();
      hookpost = await HookpostProcess.start(env);
      restartMs.push(Date.now() - restartStarted);
    };
    const maybeKill = () => {
      const next = killPlan[kills.length];
      if (restarting !== undefined || next === undefined) return;
      if (messageIdsBySeq.size >= next.afterAccepted && receipts() >= next.afterReceipts) {
        restarting = killAndRestart().finally(() => {
          restarting = undefined;
        });
      }
    };

    const pendingSeqs = Array.from({ length: options.messages }, (_, seq) => seq);
    const send = async (seq: number) => {
      for (let tries = 0; ; tries++) {
        try {
          const response = await request('POST', `/v1/apps/${appId}/messages`, {
            eventType: EVENT_TYPE,
            eventId: `chaos-${options.seed}-${seq}`,
            payload: { seq },
          });
          if (response.status === 200 || response.status === 202) {
            messageIdsBySeq.set(seq, String(response.body?.id));
            if (tries > 0) resentAfterKill++;
            return;
          }
          if (response.status < 500) throw new Error(`message ${seq} refused: ${JSON.stringify(response)}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('message ')) throw error;
          // The server died under the request: send the same eventId again once it is back.
        }
        await sleep(50);
      }
    };
    await Promise.all(
      Array.from({ length: options.callers }, async () => {
        for (let seq = pendingSeqs.shift(); seq !== undefined; seq = pendingSeqs.shift()) {
          await send(seq);
          maybeKill();
        }
      }),
    );
    log(`all ${messageIdsBySeq.size} messages accepted`);
    while (kills.length < options.kills) {
      maybeKill();
      await (restarting ?? sleep(20));
    }
    await restarting;

    // Settle: every delivery succeeded or failed (given up at the end of the ladder).
    const ladderMs = options.retryLadderSeconds.reduce((sum, seconds) => sum + seconds * 1100, 0);
    const deadline = Date.now() + ladderMs + options.settleTimeoutMs;
    const statuses = new Map<string, string[]>();
    let unsettled = [...messageIdsBySeq.values()];
    while (unsettled.length > 0 && Date.now() < deadline) {
      const stillOpen: string[] = [];
      for (const chunk of chunks(unsettled, 16)) {
        await Promise.all(
          chunk.map(async (msgId) => {
            const response = await request('GET', `/v1/apps/${appId}/messages/${msgId}`);
            const deliveries = (response.body?.deliveries ?? []) as { status: string; endpointId: string }[];
            statuses.set(
              msgId,
              deliveries.map((delivery) => delivery.status),
            );
            const settled =
              deliveries.length === ENDPOINT_COUNT &&
              deliveries.every((delivery) => delivery.status === 'succeeded' || delivery.status === 'failed');
            if (!settled) stillOpen.push(msgId);
          }),
        );
      }
      unsettled = stillOpen;
      if (unsettled.length > 0) await sleep(1_000);
    }
    log(`settled: ${messageIdsBySeq.size - unsettled.length} of ${messageIdsBySeq.size} messages`);

    // One message per eventId, none lost: the API's own list, page by page.
    const listed: { id: string; eventId: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await request(
        'GET',
        `/v1/apps/${appId}/messages?limit=250${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      listed.push(...((page.body?.data ?? []) as { id: string; eventId: string }[]));
      cursor = page.body?.nextCursor as string | undefined;
    } while (cursor !== undefined && cursor !== null);
    const messagesByEventId = new Map<string, number>();
    for (const message of listed) {
      messagesByEventId.set(message.eventId, (messagesByEventId.get(message.eventId) ?? 0) + 1);
    }
    let eventIdsWithoutExactlyOneMessage = 0;
    for (let seq = 0; seq < options.messages; seq++) {
      if (messagesByEventId.get(`chaos-${options.seed}-${seq}`) !== 1) eventIdsWithoutExactlyOneMessage++;
    }

    const counts = { succeeded: 0, failed: 0, pending: 0 };
    for (const list of statuses.values()) {
      for (let index = 0; index < ENDPOINT_COUNT; index++) {
        const status = list[index];
        if (status === 'succeeded') counts.succeeded++;
        else if (status === 'failed') counts.failed++;
        else counts.pending++;
      }
    }

    // Receipts against records: what the receivers answered 2xx, per message and endpoint.
    let duplicateReceipts = 0;
    for (const bySeq of okReceipts) for (const count of bySeq.values()) duplicateReceipts += count - 1;
    let succeededWithoutReceipt = 0;
    for (const [seq, msgId] of messageIdsBySeq) {
      const message = await request('GET', `/v1/apps/${appId}/messages/${msgId}`);
      for (const delivery of (message.body?.deliveries ?? []) as { status: string; endpointId: string }[]) {
        const index = endpointIds.indexOf(delivery.endpointId);
        if (delivery.status === 'succeeded' && (okReceipts[index]?.get(seq) ?? 0) === 0)
          succeededWithoutReceipt++;
      }
    }

    // Idle: nothing left to do, the worker should sleep.
    await sleep(2_000);
    const ticksBefore = await hookpost.cpuTicks();
    await sleep(options.idleSampleMs);
    const idleCpuShare =
      ((await hookpost.cpuTicks()) - ticksBefore) / ((options.idleSampleMs / 1000) * TICKS_PER_SECOND);

    if (messageIdsBySeq.size !== options.messages)
      problems.push(`${messageIdsBySeq.size} of ${options.messages} accepted`);
    if (listed.length !== options.messages)
      problems.push(`the API lists ${listed.length} messages, not ${options.messages}`);
    if (eventIdsWithoutExactlyOneMessage > 0)
      problems.push(`${eventIdsWithoutExactlyOneMessage} eventIds without exactly one message`);
    if (counts.pending > 0) problems.push(`${counts.pending} deliveries still pending after the ladder`);
    if (succeededWithoutReceipt > 0)
      problems.push(`${succeededWithoutReceipt} deliveries succeeded that no receiver took`);
    if (serverErrors > 0) problems.push(`${serverErrors} requests answered 5xx`);
    if (kills.length !== options.kills) problems.push(`${kills.length} kills of ${options.kills}`);
    if (idleCpuShare >= IDLE_CPU_LIMIT)
      problems.push(`idle CPU ${(idleCpuShare * 100).toFixed(1)} % (limit ${IDLE_CPU_LIMIT * 100} %)`);

    return {
      seed: options.seed,
      messages: options.messages,
      accepted: messageIdsBySeq.size,
      eventIdsWithoutExactlyOneMessage,
      deliveries: counts,
      succeededWithoutReceipt,
      duplicateReceipts,
      serverErrors,
      resentAfterKill,
      kills,
      restartMs,
      idleCpuShare,
      durationMs: Date.now() - started,
      problems,
    };
  } finally {
    await hookpost.stop();
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [0, 1) fixed by `text`: a receiver's choice that does not depend on arrival order. */
function fraction(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 4294967296;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port free on 127.0.0.1 now, for a server that must come back on the same one after each kill. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
