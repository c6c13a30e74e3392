/**
 * Preloaded (`node --import`) into every process the deployed test tier starts in place of
 * a Lambda function or a user's command: the process may reach loopback and nothing else.
 *
 * - Name resolution answers from a fixed table (`HOOKPOST_TEST_NETWORK.hosts`): a test
 *   receiver's name gets a public-looking address, so that the SSRF guard of deployed mode
 *   (which refuses loopback) lets the delivery through, exactly as it would on AWS.
 *   `localhost` is loopback; any other name fails as unknown, without asking any resolver.
 * - Every TCP connection passes through the socket handle's `connect`, after the SSRF
 *   guard has checked the address: an address of the table is redirected to loopback
 *   (`redirects`, per address or per address and port), loopback goes through, and
 *   anything else is refused before a packet leaves, and reported.
 *
 * Each refusal is reported to the parent process (`{ type: 'network-guard', ... }` over
 * IPC), which counts them: a test run must end with none.
 */
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const config = JSON.parse(process.env.HOOKPOST_TEST_NETWORK ?? '{"hosts":{},"redirects":{}}');
const hosts = new Map(Object.entries(config.hosts ?? {}));
const redirects = new Map(Object.entries(config.redirects ?? {}));

function report(kind, target) {
  const entry = { type: 'network-guard', kind, target, pid: process.pid };
  if (typeof process.send === 'function') process.send(entry);
  else process.stderr.write(`network guard refused ${kind} ${target}\n`);
}

function isLoopback(address) {
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1' || address === '::ffff:127.0.0.1';
}

function answerFor(hostname) {
  const name = String(hostname).toLowerCase().replace(/\.$/, '');
  if (net.isIP(name) !== 0) return { address: name, family: net.isIP(name) };
  if (name === 'localhost' || name.endsWith('.localhost')) return { address: '127.0.0.1', family: 4 };
  const address = hosts.get(name);
  return address === undefined ? undefined : { address, family: net.isIP(address) };
}

function notFound(hostname) {
  const error = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  error.code = 'ENOTFOUND';
  error.hostname = hostname;
  return error;
}

function lookup(hostname, options, callback) {
  const done = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all === true;
  const answer = answerFor(hostname);
  process.nextTick(() => {
    if (answer === undefined) {
      report('resolve', hostname);
      done(notFound(hostname));
    } else if (all) done(null, [answer]);
    else done(null, answer.address, answer.family);
  });
}

dns.lookup = lookup;
dns.promises.lookup = (hostname, options) =>
  new Promise((resolve, reject) => {
    lookup(hostname, options ?? {}, (error, address, family) => {
      if (error) reject(error);
      else resolve(Array.isArray(address) ? address : { address, family });
    });
  });
// Resolvers that ask DNS servers directly are never needed here: refuse them.
for (const method of [
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCname',
  'resolveTxt',
  'reverse',
]) {
  dns[method] = (hostname, ...rest) => {
    const callback = rest.at(-1);
    report('resolve', hostname);
    process.nextTick(() => callback(notFound(hostname)));
  };
  dns.promises[method] = async (hostname) => {
    report('resolve', hostname);
    throw notFound(hostname);
  };
}
syncBuiltinESMExports();

const UV_ECONNREFUSED = -111;
process.noDeprecation = true;
const { TCP } = process.binding('tcp_wrap');
for (const method of ['connect', 'connect6']) {
  const original = TCP.prototype[method];
  TCP.prototype[method] = function guardedConnect(request, address, port, ...rest) {
    const target = redirects.get(`${address}:${port}`) ?? redirects.get(address);
    if (target !== undefined) {
      const [toAddress, toPort] =
        target.includes(':') && !target.includes('::') ? target.split(':') : [target, port];
      return original.call(this, request, toAddress, Number(toPort), ...rest);
    }
    if (isLoopback(address)) return original.call(this, request, address, port, ...rest);
    report('connect', `${address}:${port}`);
    return UV_ECONNREFUSED;
  };
}
