import ipaddr from 'ipaddr.js';
import { ValidationError } from './errors';

/**
 * Which addresses Hookpost may connect to. Only globally routable unicast
 * addresses are public; loopback is allowed in local mode so that a developer can receive
 * on localhost; everything else (private, carrier-grade NAT, link-local and the metadata
 * addresses in it, unique-local, multicast, reserved, unspecified, translation ranges) is
 * refused. The WHATWG URL parser has already turned decimal, octal and hex IPv4 spellings
 * and trailing dots into dotted quads by the time a host reaches this module.
 *
 * IPv6 forms that carry an IPv4 address: an IPv4-mapped address (::ffff:a.b.c.d) is the
 * IPv4 address itself to the socket, so it is judged as that address. Every other form
 * (IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16,
 * Teredo 2001::/32) is refused whatever it carries: translators and relays can reach
 * networks the public address does not say, and no receiver needs them.
 */

export type AddressClass = 'public' | 'loopback' | 'blocked';

export interface AddressPolicy {
  /** Local mode: loopback targets are allowed, nothing else that is not public. */
  readonly allowLoopback: boolean;
}

export interface EndpointUrlPolicy extends AddressPolicy {
  /** Local mode also accepts `http`; deployed Hookpost insists on `https`. */
  readonly allowHttp: boolean;
}

/** A deployment: `https` only, to public addresses only. */
export const DEPLOYED_URL_POLICY: EndpointUrlPolicy = { allowHttp: false, allowLoopback: false };

/** Local mode: `http` too, and loopback, so that a developer can receive on localhost. */
export const LOCAL_URL_POLICY: EndpointUrlPolicy = { allowHttp: true, allowLoopback: true };

const MAX_URL_LENGTH = 2048;

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

export function classifyAddress(address: string): AddressClass {
  if (!ipaddr.isValid(address)) return 'blocked';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    // IPv4-compatible (deprecated ::/96): ipaddr.js calls it unicast.
    else if (v6.match(IPV4_COMPATIBLE) && v6.range() !== 'loopback') return 'blocked';
  }
  const range = parsed.range();
  if (range === 'unicast') return 'public';
  if (range === 'loopback') return 'loopback';
  return 'blocked';
}

export function isAllowedAddress(address: string, policy: AddressPolicy): boolean {
  const addressClass = classifyAddress(address);
  return addressClass === 'public' || (addressClass === 'loopback' && policy.allowLoopback);
}

/** `localhost` and its subdomains always mean loopback (RFC 6761), whatever DNS says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.replace(/\.+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Validates an endpoint URL at creation. Literal addresses that are not allowed are
 * refused here; host names are checked again at delivery, against the address they
 * resolve to, by the HTTP client that connects to exactly that address.
 */
export function validateEndpointUrl(raw: string, policy: EndpointUrlPolicy): URL {
  const refuse = (message: string) => ValidationError.forField('url', message);
  if (raw.length > MAX_URL_LENGTH) throw refuse(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ValidationError('The URL is not valid.', [{ path: 'url', message: 'The URL is not valid.' }], {
      cause,
    });
  }
  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    throw refuse(`The URL must use ${policy.allowHttp ? 'https or http' : 'https'}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw refuse('The URL must not contain credentials; use custom headers instead.');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = ipaddr.isValid(host);
  if (literal && !isAllowedAddress(host, policy)) {
    throw refuse(`The URL points at ${host}, an address Hookpost does not connect to.`);
  }
  if (!literal && isLocalhostName(host) && !policy.allowLoopback) {
    throw refuse(`The URL points at ${host}, a loopback name Hookpost does not connect to.`);
  }
  return url;
}
