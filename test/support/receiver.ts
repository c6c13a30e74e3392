import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** performance.now() when the request arrived. */
  readonly at: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering. */
  readonly delayMs?: number;
}

/** A key and certificate (PEM) the receiver serves HTTPS with. */
export interface ReceiverTls {
  readonly key: string;
  readonly cert: string;
}

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers as told: the
 * real HTTP (or HTTPS) peer of delivery tests.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private server: http.Server | undefined;
  reply: (request: ReceivedRequest) => Reply = () => ({ status: 200, body: 'ok' });

  private constructor(private readonly tls: ReceiverTls | undefined) {}

  static async start(options: { readonly tls?: ReceiverTls } = {}): Promise<Receiver> {
    const receiver = new Receiver(options.tls);
    await receiver.listen();
    return receiver;
  }

  get port(): number {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('The receiver is not listening.');
    return address.port;
  }

  get url(): string {
    return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}`;
  }

  /** Resolves once `count` requests have arrived in all. */
  waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Waited ${timeoutMs} ms for ${count} requests; got ${this.requests.length}.`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
  }

  private listen(): Promise<void> {
    const onRequest: http.RequestListener = (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = {
          path: request.url ?? '/',
          headers: request.headers as Record<string, string>,
          body: Buffer.concat(chunks).toString('utf8'),
          at: performance.now(),
        };
        this.requests.push(received);
        const reply = this.reply(received);
        const answer = () => {
          response.writeHead(reply.status, reply.headers);
          response.end(reply.body ?? '');
          for (const waiter of this.waiters.filter((candidate) => this.requests.length >= candidate.count)) {
            waiter.resolve();
          }
          this.waiters = this.waiters.filter((candidate) => this.requests.length < candidate.count);
        };
        if (reply.delayMs === undefined) answer();
        else setTimeout(answer, reply.delayMs);
      });
    };
    this.server =
      this.tls === undefined ? http.createServer(onRequest) : https.createServer(this.tls, onRequest);
    return new Promise((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
  }
}

/** Polls `read` until `done` holds, for state that settles asynchronously. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`Condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
