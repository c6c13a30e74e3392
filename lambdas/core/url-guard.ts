import ipaddr from 'ipaddr.js';
import { LIMITS } from '../contract/limits';
import { ValidationError } from './errors';

/**
 * Which addresses Hookpost may connect to. Only globally routable unicast addresses are
 * public (what ipaddr.js's `range()` calls `unicast`); loopback is allowed in local mode so
 * that a developer can receive on localhost; every other range ipaddr.js names (private,
 * carrierGradeNat, linkLocal with the metadata addresses in it, uniqueLocal,
 * deprecatedSiteLocal, multicast, reserved with the documentation and benchmarking nets,
 * broadcast, unspecified, ...) is refused. The WHATWG URL parser has already turned
 * decimal, octal, hex and short IPv4 spellings, percent-encoding, full-width digits,
 * ideographic full stops and trailing dots into a dotted quad by the time a host reaches
 * this module.
 *
 * Every IPv6 form that carries an IPv4 address is refused, whatever it carries:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, which ipaddr.js calls
 * unicast), IPv4-translated, NAT64, 6to4 and Teredo. A translator or relay forwards them to
 * networks the address does not name, no receiver needs them (a receiver on a public IPv4
 * address is reached by that address), and delivery's second opinion,
 * request-filtering-agent, refuses all of them but IPv4-compatible: an endpoint the API
 * accepted could never be delivered to.
 */

export type AddressClass = 'public' | 'loopback' | 'blocked';

export interface AddressVerdict {
  readonly class: AddressClass;
  /**
   * Why, for error messages and tests: ipaddr.js's name for the range (`private`,
   * `linkLocal`, `ipv4Mapped`, `6to4`, ...), or `ipv4Compatible`.
   */
  readonly reason: string;
}

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

/** IPv4-compatible addresses (RFC 4291, deprecated); `::` and `::1` have ranges of their own. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

export function judgeAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) return { class: 'blocked', reason: 'not an IP address' };
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (parsed.kind() === 'ipv6' && range === 'unicast' && (parsed as ipaddr.IPv6).match(IPV4_COMPATIBLE)) {
    return { class: 'blocked', reason: 'ipv4Compatible' };
  }
  if (range === 'unicast') return { class: 'public', reason: range };
  if (range === 'loopback') return { class: 'loopback', reason: range };
  return { class: 'blocked', reason: range };
}

export function classifyAddress(address: string): AddressClass {
  return judgeAddress(address).class;
}

export function isAllowedAddress(address: string, policy: AddressPolicy): boolean {
  return isAllowedClass(classifyAddress(address), policy);
}

function isAllowedClass(addressClass: AddressClass, policy: AddressPolicy): boolean {
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
  if (raw.length > LIMITS.urlLength) throw refuse(`The URL is longer than ${LIMITS.urlLength} characters.`);
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
  if (literal) {
    const verdict = judgeAddress(host);
    if (!isAllowedClass(verdict.class, policy)) {
      throw refuse(`The URL points at ${host} (${verdict.reason}), an address Hookpost does not connect to.`);
    }
  }
  if (!literal && isLocalhostName(host) && !policy.allowLoopback) {
    throw refuse(`The URL points at ${host}, a loopback name Hookpost does not connect to.`);
  }
  return url;
}
