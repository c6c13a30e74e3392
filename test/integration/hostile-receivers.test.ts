import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GuardedHttpSender } from '../../lambdas/adapters/http/guarded-http-sender';
import { RESPONSE_BODY_LIMIT_BYTES } from '../../lambdas/core/webhook';
import { certificateFor } from '../support/deployed/certificates';
import { Receiver } from '../support/receiver';

const TIMEOUT_MS = 1_500;
const MiB = 1024 * 1024;

/**
 * Receivers that misbehave on purpose, on 127.0.0.1: each attempt must end within the
 * attempt timeout with the right error, keep at most 4 KiB, and not let the body grow the
 * sender's memory.
 */
describe('hostile receivers', () => {
  const sender = new GuardedHttpSender({ allowLoopback: true });
  const servers: http.Server[] = [];

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
  afterAll(() => sender.close());

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
  ])('keeps at most 4 KiB of %s and stops reading it, without growing memory', async (_name, answer) => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      answer(response);
    });
    const before = process.memoryUsage();
    const outcome = await post(url);
    const after = process.memoryUsage();
    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    if (outcome.kind !== 'response') return;
    expect(Buffer.byteLength(outcome.body)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT_BYTES);
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
    // Reading the whole body would hold it: 64 MiB, or without end.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * MiB);
  });

  it('reports a receiver that resets the connection in the middle of its answer', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      response.write('partial');
      setTimeout(() => response.socket?.resetAndDestroy(), 50);
    });
    expect(await post(url)).toMatchObject({ kind: 'error', error: 'connection_reset' });
  });

  it('refuses a receiver whose certificate it cannot trust', async () => {
    const receiver = await Receiver.start({ tls: await certificateFor('127.0.0.1') });
    try {
      const outcome = await post(`${receiver.url}/hook`);
      expect(outcome).toMatchObject({ kind: 'error', error: 'tls' });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});
