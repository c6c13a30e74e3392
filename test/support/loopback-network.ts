import dns from 'node:dns';
import net from 'node:net';

/**
 * The in-process counterpart of deployed/network-guard.mjs, for integration tests that
 * drive the HTTP sender in the test's own process: while installed, the process may reach
 * loopback and nothing else.
 *
 * - Every TCP connection passes through the socket handle's `connect`, after the sender's
 *   SSRF checks chose the address: an address listed in `redirects` (a public-looking
 *   address a test's injected resolver answered) goes to the same port on 127.0.0.1,
 *   loopback goes through, and anything else is refused before a packet leaves.
 * - `dns.lookup` (the resolver a sender uses when none is injected) refuses every name
 *   that is not an IP address, without asking a DNS server; an IP address answers itself.
 *
 * Every attempt is recorded in `connections`, every refusal in `refused`: a test asserts
 * how many connections it expected, and that nothing was refused.
 */
export class LoopbackOnlyNetwork {
  /** Each connection attempted, as the address and port the sender asked for. */
  readonly connections: string[] = [];
  /** Each connection or name resolution refused, as `connect host:port` or `resolve name`. */
  readonly refused: string[] = [];
  private readonly restore: (() => void)[] = [];

  private constructor(private readonly redirects: ReadonlyMap<string, string>) {}

  static install(redirects: Readonly<Record<string, string>> = {}): LoopbackOnlyNetwork {
    const network = new LoopbackOnlyNetwork(new Map(Object.entries(redirects)));
    network.guardConnections();
    network.guardResolution();
    return network;
  }

  uninstall(): void {
    for (const undo of this.restore.splice(0).reverse()) undo();
  }

  private guardConnections(): void {
    const prototype = tcpHandlePrototype();
    const original = { connect: prototype.connect, connect6: prototype.connect6 };
    const network = this;
    for (const method of ['connect', 'connect6'] as const) {
      prototype[method] = function guardedConnect(request, address, port, ...rest) {
        network.connections.push(`${address}:${port}`);
        const redirected = network.redirects.get(address);
        if (redirected !== undefined) {
          const connect = net.isIPv6(redirected) ? original.connect6 : original.connect;
          return connect.call(this, request, redirected, port, ...rest);
        }
        if (isLoopback(address)) return original[method].call(this, request, address, port, ...rest);
        network.refused.push(`connect ${address}:${port}`);
        return UV_ECONNREFUSED;
      };
    }
    this.restore.push(() => {
      prototype.connect = original.connect;
      prototype.connect6 = original.connect6;
    });
  }

  private guardResolution(): void {
    const original = dns.lookup;
    const refused = this.refused;
    // Node itself looks up IP literals (server.listen('127.0.0.1') does): those answer themselves.
    const lookup = (hostname: string, ...rest: unknown[]) => {
      const callback = rest.at(-1);
      if (typeof callback !== 'function') throw new TypeError('dns.lookup needs a callback.');
      const options = rest.length > 1 ? rest[0] : undefined;
      const all = typeof options === 'object' && options !== null && 'all' in options && options.all === true;
      const family = net.isIP(hostname);
      process.nextTick(() => {
        if (family === 0) {
          refused.push(`resolve ${hostname}`);
          const error: NodeJS.ErrnoException = new Error(
            `getaddrinfo ENOTFOUND ${hostname} (loopback-only test)`,
          );
          error.code = 'ENOTFOUND';
          callback(error);
        } else if (all) callback(null, [{ address: hostname, family }]);
        else callback(null, hostname, family);
      });
    };
    dns.lookup = lookup as unknown as typeof dns.lookup;
    this.restore.push(() => {
      dns.lookup = original;
    });
  }
}

/** libuv's "connection refused" on Linux: what a handle's `connect` returns to fail the socket. */
const UV_ECONNREFUSED = -111;

type HandleConnect = (
  this: unknown,
  request: unknown,
  address: string,
  port: number,
  ...rest: unknown[]
) => number;

interface TcpHandlePrototype {
  connect: HandleConnect;
  connect6: HandleConnect;
}

function tcpHandlePrototype(): TcpHandlePrototype {
  // The handle below net.Socket: the one place every TCP connection (plain or TLS) passes.
  const binding = (
    process as unknown as { binding(name: 'tcp_wrap'): { TCP: { prototype: TcpHandlePrototype } } }
  ).binding;
  const noDeprecation = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return binding.call(process, 'tcp_wrap').TCP.prototype;
  } finally {
    process.noDeprecation = noDeprecation;
  }
}

function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1' || address === '::ffff:127.0.0.1';
}
