import { EventEmitter } from 'node:events';
import type { RequestListener } from 'node:http';

/** What the SDK hands its request handler: the signed request, before it goes on the wire. */
export interface StoreRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * A request handler for the AWS SDK's DynamoDB client that gives each request to the
 * embedded store's own request listener in this process, without a socket: no TCP, no
 * HTTP framing and parsing on either side. The request is the one the SDK built and
 * signed, and the store answers it as it answers one from the network, so the same code
 * runs either way; only the bytes do not cross loopback. Local mode spends most of its CPU
 * on store requests (ten or so per delivery), and the two HTTP stacks were about a sixth
 * of it in `npm run bench:local`'s profile.
 */
export class InProcessStoreTransport {
  constructor(private readonly listener: RequestListener) {}

  handle(
    request: StoreRequest,
  ): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }> {
    return new Promise((resolve, reject) => {
      const incoming = Object.assign(new EventEmitter(), {
        method: request.method,
        url: request.path,
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
        ),
      });
      incoming.on('error', reject);
      const headers: Record<string, string> = {};
      const outgoing = {
        statusCode: 200,
        contentType: undefined as string | undefined,
        setHeader(name: string, value: string | number) {
          headers[name.toLowerCase()] = String(value);
        },
        end(body?: string) {
          resolve({
            response: { statusCode: outgoing.statusCode, headers, body: Buffer.from(body ?? '', 'utf8') },
          });
        },
      };
      try {
        this.listener(incoming as never, outgoing as never);
      } catch (error) {
        reject(error);
        return;
      }
      const body = requestBytes(request.body);
      if (body.length > 0) incoming.emit('data', body);
      incoming.emit('end');
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/** The request body as bytes; the SDK gives a string or a Uint8Array (read as bytes, never as text). */
function requestBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}
