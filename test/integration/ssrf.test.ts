import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_URL_POLICY, LOCAL_URL_POLICY, validateEndpointUrl } from '../../lambdas/core/url-guard';
import { DeployedPolicyApi } from '../support/deployed-policy-api';

/** Marks a spelling local mode accepts: loopback (and http), so a developer can receive on localhost. */
const LOCAL_MODE_ACCEPTS = true;

/**
 * Spellings of addresses a webhook must never reach: what each is, the URL, and the words
 * of the refusal that say why (for an address, the URL guard's reason in parentheses: the
 * ipaddr.js range, or ipv4Compatible). They are
 * only ever submitted to the API and the guard here, never dialled; delivery-time checks
 * of names that resolve to such addresses are in guarded-sender.test.ts.
 */
const HOSTILE_SPELLINGS: readonly (readonly [
  what: string,
  url: string,
  refusal: string,
  localModeAccepts?: boolean,
])[] = [
  // Loopback, however IPv4 is written: the URL parser turns each into 127.0.0.1.
  ['loopback as one decimal number', 'https://2130706433/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback in octal', 'https://0177.0.0.1/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback as one hex number', 'https://0x7f000001/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback in hex, short form', 'https://0x7f.1/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback in hex, octal and decimal at once', 'https://0x7f.0.00.1/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback, short form', 'https://127.1/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback, another host of 127/8', 'https://127.255.255.254/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback with a trailing dot', 'https://127.0.0.1./', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback with percent-encoded dots', 'https://127%2E0%2E0%2E1/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback in full-width digits and dots', 'https://１２７．０．０．１/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['loopback with ideographic full stops', 'https://127。0。0。1/', 'loopback', LOCAL_MODE_ACCEPTS],
  // Private networks (RFC 1918).
  ['private, short form', 'https://10.1/', 'private'],
  ['private as one decimal number', 'https://167772161/', 'private'],
  ['private as one hex number', 'https://0x0a000001/', 'private'],
  ['private in octal', 'https://012.0.0.1/', 'private'],
  ['private 172.16/12', 'https://172.16.0.1/', 'private'],
  ['private, last host of 172.16/12', 'https://172.31.255.254/', 'private'],
  ['private 192.168/16', 'https://192.168.1.1/', 'private'],
  ['private with a trailing dot', 'https://10.0.0.1./', 'private'],
  ['private in full-width digits and dots', 'https://１０．０．０．１/', 'private'],
  ['private, percent-encoded', 'https://%31%30.0.0.1/', 'private'],
  // Link-local, where the cloud metadata services live.
  ['the metadata address', 'https://169.254.169.254/latest/meta-data/', 'linkLocal'],
  ['the metadata address in octal', 'https://0251.0376.0251.0376/', 'linkLocal'],
  ['the metadata address as one hex number', 'https://0xa9fea9fe/', 'linkLocal'],
  ['the metadata address as one decimal number', 'https://2852039166/', 'linkLocal'],
  ['the ECS task metadata address', 'https://169.254.170.2/v2/credentials', 'linkLocal'],
  ['link-local IPv4', 'https://169.254.1.1/', 'linkLocal'],
  ['the IPv6 metadata address', 'https://[fd00:ec2::254]/', 'uniqueLocal'],
  // IPv6 forms that carry an IPv4 address are refused whatever they carry (url-guard.ts).
  ['ipv4Mapped', 'https://[::ffff:10.0.0.1]/', 'ipv4Mapped'],
  ['IPv4-mapped private, hex', 'https://[::ffff:a00:1]/', 'ipv4Mapped'],
  ['IPv4-mapped private, fully written', 'https://[0:0:0:0:0:ffff:10.0.0.1]/', 'ipv4Mapped'],
  ['IPv4-mapped metadata address', 'https://[::ffff:169.254.169.254]/', 'ipv4Mapped'],
  ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/', 'ipv4Mapped'],
  ['IPv4-compatible private', 'https://[::10.0.0.1]/', 'ipv4Compatible'],
  ['IPv4-compatible private, hex', 'https://[::a00:1]/', 'ipv4Compatible'],
  ['IPv4-compatible metadata address', 'https://[::169.254.169.254]/', 'ipv4Compatible'],
  ['IPv4-compatible loopback (not this host)', 'https://[::127.0.0.1]/', 'ipv4Compatible'],
  ['IPv4-translated private', 'https://[::ffff:0:10.0.0.1]/', 'rfc6145'],
  ['NAT64 of a private address', 'https://[64:ff9b::10.0.0.1]/', 'rfc6052'],
  ['NAT64 of the metadata address', 'https://[64:ff9b::a9fe:a9fe]/', 'rfc6052'],
  ['rfc6052', 'https://[64:ff9b::127.0.0.1]/', 'rfc6052'],
  ['local-use NAT64 of a private address', 'https://[64:ff9b:1::a00:1]/', 'rfc6052'],
  ['local-use NAT64 of a public address', 'https://[64:ff9b:1::5db8:d822]/', 'rfc6052'],
  ['IPv4-mapped public address', 'https://[::ffff:93.184.216.34]/', 'ipv4Mapped'],
  ['IPv4-compatible public address, hex', 'https://[::5db8:d822]/', 'ipv4Compatible'],
  ['NAT64 of a public address', 'https://[64:ff9b::93.184.216.34]/', 'rfc6052'],
  ['6to4 of a public address', 'https://[2002:5db8:d822::1]/', '6to4'],
  ['Teredo between public addresses', 'https://[2001:0:4136:e378:8000:63bf:a247:27dd]/', 'teredo'],
  ['6to4 of a private address', 'https://[2002:0a00:0001::]/', '6to4'],
  ['6to4', 'https://[2002:7f00:1::]/', '6to4'],
  ['6to4 of the metadata address', 'https://[2002:a9fe:a9fe::1]/', '6to4'],
  // Teredo stores the client's address bit-inverted: f5ff:fffe is 10.0.0.1.
  ['Teredo to a private client', 'https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/', 'teredo'],
  ['Teredo through a private server', 'https://[2001:0:a00:1:8000:63bf:a247:27dd]/', 'teredo'],
  // Other IPv6 ranges.
  ['link-local IPv6 with a zone id', 'https://[fe80::1%25eth0]/', 'not valid'],
  ['link-local IPv6', 'https://[fe80::1]/', 'linkLocal'],
  ['unique-local IPv6, fc00::/8', 'https://[fc00::1]/', 'uniqueLocal'],
  ['unique-local IPv6, fd00::/8', 'https://[fd12:3456:789a::1]/', 'uniqueLocal'],
  ['site-local IPv6', 'https://[fec0::1]/', 'deprecatedSiteLocal'],
  ['IPv6 loopback', 'https://[::1]/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['IPv6 loopback, fully written', 'https://[0:0:0:0:0:0:0:1]/', 'loopback', LOCAL_MODE_ACCEPTS],
  ['IPv6 unspecified', 'https://[::]/', 'unspecified'],
  ['IPv6 multicast', 'https://[ff02::1]/', 'multicast'],
  ['IPv6 discard prefix', 'https://[100::1]/', 'discard'],
  ['IPv6 documentation', 'https://[2001:db8::1]/', 'reserved'],
  ['IPv6 benchmarking', 'https://[2001:2::1]/', 'benchmarking'],
  ['IPv6 ORCHID', 'https://[2001:10::1]/', 'deprecatedOrchid'],
  // Other IPv4 ranges.
  ['carrier-grade NAT', 'https://100.64.0.1/', 'carrierGradeNat'],
  ['carrier-grade NAT, last host', 'https://100.127.255.254/', 'carrierGradeNat'],
  ['benchmarking range', 'https://198.18.0.1/', 'reserved'],
  ['benchmarking range, last host', 'https://198.19.255.254/', 'reserved'],
  ['documentation TEST-NET-1', 'https://192.0.2.1/', 'reserved'],
  ['documentation TEST-NET-2', 'https://198.51.100.1/', 'reserved'],
  ['documentation TEST-NET-3', 'https://203.0.113.1/', 'reserved'],
  ['IETF protocol assignments', 'https://192.0.0.8/', 'reserved'],
  ['multicast', 'https://224.0.0.1/', 'multicast'],
  ['multicast, SSDP', 'https://239.255.255.250/', 'multicast'],
  ['reserved 240/4', 'https://240.0.0.1/', 'reserved'],
  ['broadcast', 'https://255.255.255.255/', 'broadcast'],
  ['this network', 'https://0.0.0.0/', 'unspecified'],
  ['this network, one number', 'https://0/', 'unspecified'],
  ['this network, another host of 0/8', 'https://0.1.2.3/', 'unspecified'],
  // Tricks in the rest of the URL.
  ['credentials before a private host', 'https://hooks.example.com@10.0.0.1/', 'credentials'],
  ['a fragment that looks like a host', 'https://10.0.0.1#@hooks.example.com', 'private'],
  ['a backslash that looks like credentials', 'https://10.0.0.1\\@hooks.example.com/', 'private'],
  // Names that always mean loopback (RFC 6761).
  ['localhost', 'https://localhost/', 'loopback name', LOCAL_MODE_ACCEPTS],
  ['localhost with a trailing dot', 'https://localhost./', 'loopback name', LOCAL_MODE_ACCEPTS],
  ['a subdomain of localhost', 'https://hooks.localhost/', 'loopback name', LOCAL_MODE_ACCEPTS],
  ['localhost in capitals', 'https://LOCALHOST/', 'loopback name', LOCAL_MODE_ACCEPTS],
  // Schemes other than https.
  ['plain http', 'http://hooks.example.com/', 'must use https', LOCAL_MODE_ACCEPTS],
  ['file scheme', 'file:///etc/passwd', 'must use https'],
  ['gopher scheme', 'gopher://10.0.0.1:6379/_INFO', 'must use https'],
  ['dict scheme', 'dict://10.0.0.1:11211/stats', 'must use https'],
  ['ftp scheme', 'ftp://hooks.example.com/', 'must use https'],
  ['data scheme', 'data:text/plain,hello', 'must use https'],
  ['javascript scheme', 'javascript:alert(1)', 'must use https'],
  ['websocket scheme', 'ws://hooks.example.com/', 'must use https'],
  ['secure websocket scheme', 'wss://hooks.example.com/', 'must use https'],
  ['not a URL', 'hooks.example.com/webhook', 'not valid'],
];

interface HostileUrl {
  readonly what: string;
  readonly url: string;
  /** The refusal's words as the error message has them: an address's reason is in parentheses. */
  readonly refusal: string;
  readonly localModeAccepts: boolean;
}

const HOSTILE_URLS: readonly HostileUrl[] = HOSTILE_SPELLINGS.map(
  ([what, url, refusal, localModeAccepts]) => ({
    what,
    url,
    refusal: refusalText(refusal),
    localModeAccepts: localModeAccepts === LOCAL_MODE_ACCEPTS,
  }),
);

/** The refusal's words as the error message has them: an address's reason is in parentheses. */
function refusalText(refusal: string): string {
  return /^(loopback name|must use https|credentials|not valid)$/.test(refusal) ? refusal : `(${refusal})`;
}

/** Public addresses and names: no corpus rule may catch these. */
const ACCEPTED_URLS: readonly (readonly [what: string, url: string])[] = [
  ['a public address', 'https://93.184.216.34/hook'],
  ['a public address as one number', 'https://1572395042/hook'],
  ['a public IPv6 address', 'https://[2606:4700:4700::1111]/hook'],
  ['a host name', 'https://hooks.example.com/hook'],
  ['a host name that starts like a private address', 'https://10.0.0.1.hooks.example.com/hook'],
  ['an internationalized host name', 'https://xn--nxasmq6b.example/hook'],
];

describe('the SSRF corpus, at the URL guard', () => {
  it('has at least 50 spellings, each named once', () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(HOSTILE_URLS.map(({ what }) => what)).size).toBe(HOSTILE_URLS.length);
  });

  it.each(HOSTILE_URLS)('a deployment refuses $what ($url) for its reason: $refusal', ({ url, refusal }) => {
    expect(() => validateEndpointUrl(url, DEPLOYED_URL_POLICY)).toThrow(refusal);
  });

  it.each(HOSTILE_URLS.filter(({ localModeAccepts }) => !localModeAccepts))(
    'local mode refuses $what ($url) too, for its reason: $refusal',
    ({ url, refusal }) => {
      expect(() => validateEndpointUrl(url, LOCAL_URL_POLICY)).toThrow(refusal);
    },
  );

  it.each(HOSTILE_URLS.filter(({ localModeAccepts }) => localModeAccepts))(
    'local mode accepts $what ($url), so that a developer can receive on localhost',
    ({ url }) => {
      expect(() => validateEndpointUrl(url, LOCAL_URL_POLICY)).not.toThrow();
    },
  );

  it.each(ACCEPTED_URLS)('a deployment accepts %s (%s)', (_what, url) => {
    expect(() => validateEndpointUrl(url, DEPLOYED_URL_POLICY)).not.toThrow();
  });
});

describe('the API, deployed, refuses every spelling of the corpus', () => {
  let api: DeployedPolicyApi;
  let appId: string;
  let endpointId: string;
  const endpointUrl = 'https://hooks.example.com/hook';

  beforeAll(async () => {
    api = await DeployedPolicyApi.start();
    appId = String((await api.json('POST', '/v1/apps', { name: 'Acme' })).body.id);
    const created = await api.json('POST', `/v1/apps/${appId}/endpoints`, { url: endpointUrl });
    expect(created.status).toBe(201);
    endpointId = String(created.body.id);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it.each(HOSTILE_URLS)('at create and at PATCH: $what ($url)', async ({ url, refusal }) => {
    // The error envelope (README, "API at a glance"), naming the url field and why it was refused.
    const refused = {
      error: {
        code: 'validation_failed',
        message: expect.stringContaining(refusal),
        details: [{ path: 'url', message: expect.stringContaining(refusal) }],
      },
    };

    const created = await api.json('POST', `/v1/apps/${appId}/endpoints`, { url });
    const patched = await api.json('PATCH', `/v1/apps/${appId}/endpoints/${endpointId}`, { url });

    expect(created).toEqual({ status: 422, body: refused });
    expect(patched).toEqual({ status: 422, body: refused });
  });

  it('stored none of them, and left the patched endpoint as it was', async () => {
    const listed = await api.json('GET', `/v1/apps/${appId}/endpoints`);
    expect((listed.body.data as { url: string }[]).map((endpoint) => endpoint.url)).toEqual([endpointUrl]);
  });

  it.each(ACCEPTED_URLS)('accepts %s (%s) at create and at PATCH', async (_what, url) => {
    const otherAppId = String((await api.json('POST', '/v1/apps', { name: 'Public receivers' })).body.id);

    const created = await api.json('POST', `/v1/apps/${otherAppId}/endpoints`, { url: endpointUrl });
    const patched = await api.json('PATCH', `/v1/apps/${otherAppId}/endpoints/${String(created.body.id)}`, {
      url,
    });

    expect(created.status).toBe(201);
    expect(patched.status).toBe(200);
  });
});
