import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { AttemptError } from '../../core/model';
import { type AddressPolicy, isAllowedAddress } from '../../core/url-guard';
import { type OutgoingWebhook, RESPONSE_BODY_LIMIT_BYTES, truncateResponseBody } from '../../core/webhook';
import type { SendOutcome, WebhookSender } from '../../ports';

export interface GuardedHttpSenderOptions extends AddressPolicy {
  /**
   * Resolves host names, with `dns.lookup`'s signature: `dns.lookup` unless given (tests
   * give one that asks no DNS server). Its answer is checked and then connected to, in the
   * socket's own lookup.
   */
  readonly lookup?: LookupFunction;
}

/** `dns.lookup`'s shape, in both its single-answer and its `all: true` forms. */
export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (
    error: NodeJS.ErrnoException | null,
    address: string | dns.LookupAddress[],
    family?: number,
  ) => void,
) => void;

/** The address a name resolved to is one Hookpost does not connect to. */
class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

class AttemptTimeout extends Error {
  override readonly name = 'AttemptTimeout';
}

/**
 * POSTs webhooks through agents that check the address every connection actually goes
 * to, after DNS resolution and inside the same lookup the socket uses: there is no second
 * lookup that a rebinding DNS server could answer differently. Redirects are
 * never followed. The whole exchange, body included, must finish within the timeout.
 *
 * Two checks, one inside the other. The URL guard's rule (lambdas/core/url-guard.ts) is
 * applied to a literal host before connecting and to every answer of the lookup, so that
 * an address refused at endpoint create is refused at delivery however it is reached.
 * Deployed, request-filtering-agent then gives a second, independent opinion in the same
 * lookup (it admits what ipaddr.js calls unicast; the guard admits less). In local mode
 * the agent's own rule is off: it would refuse loopback, the one thing local mode admits,
 * and its allow-list cannot hold IPv4 and IPv6 ranges together without warning on every
 * connection.
 */
export class GuardedHttpSender implements WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly lookup: LookupFunction;
  private readonly policy: AddressPolicy;

  constructor(options: GuardedHttpSenderOptions) {
    this.policy = { allowLoopback: options.allowLoopback };
    this.lookup = guardedLookup(options.lookup ?? (dns.lookup as LookupFunction), this.policy);
    const filter = {
      // Deployed, the agent's own rule is the second opinion; local mode turns it off (above).
      allowPrivateIPAddress: options.allowLoopback,
      allowMetaIPAddress: false,
      keepAlive: true,
    };
    this.httpAgent = new RequestFilteringHttpAgent(filter);
    this.httpsAgent = new RequestFilteringHttpsAgent(filter);
  }

  async send(webhook: OutgoingWebhook, options: { readonly timeoutMs: number }): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const { status, body, retryAfter } = await this.post(webhook, options.timeoutMs);
      return {
        kind: 'response',
        status,
        body,
        ...(retryAfter === undefined ? {} : { retryAfter }),
        durationMs: elapsed(),
      };
    } catch (error) {
      return {
        kind: 'error',
        error: classifyNetworkError(error),
        detail: error instanceof Error ? error.message : String(error),
        durationMs: elapsed(),
      };
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private post(
    webhook: OutgoingWebhook,
    timeoutMs: number,
  ): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
    const url = new URL(webhook.url);
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const payload = Buffer.from(webhook.body, 'utf8');
    // A literal address is never looked up, so the guard's rule is applied here.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (net.isIP(host) !== 0 && !isAllowedAddress(host, this.policy)) {
      return Promise.reject(new BlockedAddressError(`${host} is an address Hookpost does not connect to.`));
    }
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method: 'POST',
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        lookup: this.lookup as typeof dns.lookup,
        headers: { ...webhook.headers, 'content-length': String(payload.length) },
      });
      const timer = setTimeout(
        () => request.destroy(new AttemptTimeout(`No complete answer within ${timeoutMs} ms.`)),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        settle();
      };
      request.on('error', (error) => finish(() => reject(error)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () =>
          finish(() =>
            resolve({
              status: response.statusCode ?? 0,
              body: truncateResponseBody(Buffer.concat(chunks)),
              retryAfter: response.headers['retry-after'],
            }),
          );
        response.on('data', (chunk: Buffer) => {
          if (kept >= RESPONSE_BODY_LIMIT_BYTES) return;
          chunks.push(chunk);
          kept += chunk.length;
          // Enough is kept: stop reading a large body rather than wait for all of it.
          if (kept >= RESPONSE_BODY_LIMIT_BYTES) {
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', (error) => finish(() => reject(error)));
      });
      request.end(payload);
    });
  }
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/**
 * The lookup every connection makes, refusing an answer the URL guard would refuse
 * (lambdas/core/url-guard.ts): the rule that refuses a literal address at create refuses
 * the same address when a name resolves to it. Every answer is checked, not only the first:
 * the socket may try each of them. Deployed, request-filtering-agent checks again, with its
 * own rule, in the same lookup: the socket connects to exactly the addresses checked.
 */
function guardedLookup(resolve: LookupFunction, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, answer, family) => {
      if (error !== null) return callback(error, answer, family);
      const addresses = Array.isArray(answer) ? answer.map((entry) => entry.address) : [answer];
      const refused = addresses.find((address) => !isAllowedAddress(address, policy));
      if (refused !== undefined) {
        return callback(
          new BlockedAddressError(
            `${hostname} resolved to ${refused}, an address Hookpost does not connect to.`,
          ),
          answer,
          family,
        );
      }
      callback(null, answer, family);
    });
  };
}

export function classifyNetworkError(error: unknown): AttemptError {
  if (error instanceof AttemptTimeout) return 'timeout';
  if (error instanceof BlockedAddressError) return 'blocked_address';
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  // request-filtering-agent refuses with an Error whose message says the address "is not allowed".
  if (message.includes('is not allowed')) return 'blocked_address';
  if (typeof code !== 'string') return 'network';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') return 'dns';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) return 'tls';
  return 'network';
}
