import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The benchmarks' HTTP on 127.0.0.1: the receiver their deliveries go to, and the plain
 * client whose POSTs to it are their baseline.
 */

/** The receiver: answers 200 to every POST and notes when each `webhook-id` first arrived. */
export class Receiver {
  readonly firstReceivedAt = new Map<string, number>();
  /** POSTs that carried a `webhook-id`, duplicates included. */
  webhooks = 0;
  private waiting: { count: number; resolve: () => void } | undefined;
  private readonly server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = request.headers['webhook-id'];
      if (typeof id === 'string') {
        this.webhooks++;
        if (!this.firstReceivedAt.has(id)) this.firstReceivedAt.set(id, performance.now());
      }
      response.end('ok');
      if (this.waiting !== undefined && this.firstReceivedAt.size >= this.waiting.count)
        this.waiting.resolve();
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` distinct webhook ids have arrived. */
  untilDistinct(count: number): Promise<void> {
    if (this.firstReceivedAt.size >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting = { count, resolve };
    });
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** A JSON POST through `agent`: the answer's status and body. */
export function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  agent: http.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.end(body);
  });
}

/** CPU time (user + system, every thread of the process) spent since `since`, in ms. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}
