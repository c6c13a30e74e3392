import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GuardedHttpSender } from '../../lambdas/adapters/http/guarded-http-sender';
import { LOCAL_URL_POLICY } from '../../lambdas/core/url-guard';
import { RESPONSE_BODY_LIMIT_BYTES } from '../../lambdas/core/webhook';
import { certificateFor } from '../support/deployed/certificates';
import { LoopbackOnlyNetwork } from '../support/loopback-network';
import { Receiver } from '../support/receiver';

const TIMEOUT_MS = 1_500;
const MiB = 1024 * 1024;
/** Far below the 64 MiB answer: growth this size means the sender held the body. */
const MEMORY_GROWTH_LIMIT = 16 * MiB;

/**
 * The most `process.memoryUsage().arrayBuffers` (where Buffers live) grew above its level
 * at the start while `work` ran, sampled every few milliseconds.
 */
async function peakBufferGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = baseline;
  const sample = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(sample);
  }
}

/**
 * Receivers that misbehave on purpose, on 127.0.0.1: each attempt must end within the
 * attempt timeout with the right error, keep at most 4 KiB, and not let the body grow the
 * sender's memory.
 */
describe('hostile receivers', () => {
  let network: LoopbackOnlyNetwork;
  let sender: GuardedHttpSender;
  const servers: http.Server[] = [];

  beforeAll(() => {
    network = LoopbackOnlyNetwork.install();
    sender = new GuardedHttpSender({ allowLoopback: LOCAL_URL_POLICY.allowLoopback });
  });

  async function serve(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }
  const post = (url: string) =>
    sender.send(
      { url, headers: { 'content-type': 'application/json' }, body: '{}' },
      { timeoutMs: TIMEOUT_MS },
    );

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  afterAll(() => {
    sender?.close();
    network?.uninstall();
    // Every connection went to a receiver on loopback.
    expect(network.refused).toEqual([]);
  });

  it('gives up on a receiver that drips its answer a byte at a time, at the timeout', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const drip = setInterval(() => response.write('.'), 200);
      response.on('close', () => clearInterval(drip));
    });
    const outcome = await post(url);
    expect(outcome).toMatchObject({ kind: 'error', error: 'timeout' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it.each([
    [
      'a 64 MiB body',
      (response: http.ServerResponse) => {
        // Streamed, so that the test's own server does not hold it in this process's memory.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = (64 * MiB) / chunk.length;
        const pump = () => {
          while (left > 0) {
            left--;
            if (!response.write(chunk)) return;
          }
          response.end();
        };
        response.on('drain', pump);
        pump();
      },
    ],
    [
      'a body that never ends',
      (response: http.ServerResponse) => {
        const chunk = Buffer.alloc(64 * 1024, 'y');
        const pump = () => {
          while (response.write(chunk)) {}
        };
        response.on('drain', pump);
        pump();
      },
    ],
  ])('keeps at most 4 KiB of %s and hangs up, without growing memory', async (_name, answer) => {
    let hungUp!: () => void;
    const receiverSawHangUp = new Promise<void>((resolve) => {
      hungUp = resolve;
    });
    const url = await serve((_request, response) => {
      response.on('close', hungUp);
      response.writeHead(200, { 'content-type': 'text/plain' });
      answer(response);
    });

    const { result: outcome, growth } = await peakBufferGrowth(() => post(url));

    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    if (outcome.kind !== 'response') return;
    expect(Buffer.byteLength(outcome.body)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT_BYTES);
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
    expect(growth).toBeLessThan(MEMORY_GROWTH_LIMIT);
    // The sender closed the connection once it had kept enough, rather than read on.
    await expect(withDeadline(receiverSawHangUp, 1_000)).resolves.toBe('in time');
  });

  it('reports a receiver that resets the connection in the middle of its answer', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      response.write('partial');
      setTimeout(() => response.socket?.resetAndDestroy(), 50);
    });

    const outcome = await post(url);

    expect(outcome).toMatchObject({ kind: 'error', error: 'connection_reset' });
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
  });

  it('refuses a receiver whose certificate it cannot trust', async () => {
    const receiver = await Receiver.start({ tls: await certificateFor('127.0.0.1') });
    try {
      const outcome = await post(`${receiver.url}/hook`);
      expect(outcome).toMatchObject({ kind: 'error', error: 'tls' });
      expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});

function withDeadline(promise: Promise<void>, ms: number): Promise<'in time' | 'too late'> {
  return Promise.race([
    promise.then(() => 'in time' as const),
    new Promise<'too late'>((resolve) => setTimeout(() => resolve('too late'), ms)),
  ]);
}
