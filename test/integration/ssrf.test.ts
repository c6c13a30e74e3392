import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYED_URL_POLICY, LOCAL_URL_POLICY, validateEndpointUrl } from '../../lambdas/core/url-guard';
import { DeployedPolicyApi } from '../support/deployed-policy-api';

/**
 * Spellings of addresses a webhook must never reach, each with what it is. They are only
 * ever submitted to the API here, never dialled; delivery-time checks of names that
 * resolve to such addresses are in guarded-sender.test.ts.
 */
const HOSTILE_URLS: readonly (readonly [string, string])[] = [
  ['loopback as one decimal number', 'https://2130706433/'],
  ['loopback in octal', 'https://0177.0.0.1/'],
  ['loopback in hex, short form', 'https://0x7f.1/'],
  ['loopback, short form', 'https://127.1/'],
  ['loopback, another host of 127/8', 'https://127.255.255.254/'],
  ['private, short form', 'https://10.1/'],
  ['private as one hex number', 'https://0x0a000001/'],
  ['private 172.16/12', 'https://172.16.0.1/'],
  ['private 192.168/16', 'https://192.168.1.1/'],
  ['metadata address', 'https://169.254.169.254/latest/meta-data/'],
  ['metadata address in octal', 'https://0251.0376.0251.0376/'],
  ['metadata address as one hex number', 'https://0xa9fea9fe/'],
  ['metadata address as one decimal number', 'https://2852039166/'],
  ['ECS task metadata address', 'https://169.254.170.2/v2/credentials'],
  ['IPv6 metadata address', 'https://[fd00:ec2::254]/'],
  ['link-local', 'https://169.254.1.1/'],
  ['IPv4-mapped private', 'https://[::ffff:10.0.0.1]/'],
  ['IPv4-mapped private, hex', 'https://[::ffff:a00:1]/'],
  ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/'],
  ['IPv4-mapped metadata address', 'https://[::ffff:169.254.169.254]/'],
  ['IPv4-compatible private', 'https://[::10.0.0.1]/'],
  ['IPv4-compatible private, hex', 'https://[::a00:1]/'],
  ['IPv4-compatible metadata address', 'https://[::169.254.169.254]/'],
  ['NAT64 of a private address', 'https://[64:ff9b::10.0.0.1]/'],
  ['NAT64 of the metadata address', 'https://[64:ff9b::a9fe:a9fe]/'],
  ['local-use NAT64 prefix', 'https://[64:ff9b:1::a00:1]/'],
  ['6to4 of a private address', 'https://[2002:a00:1::]/'],
  ['6to4 of loopback', 'https://[2002:7f00:1::]/'],
  ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/'],
  ['link-local IPv6 with a zone id', 'https://[fe80::1%25eth0]/'],
  ['link-local IPv6', 'https://[fe80::1]/'],
  ['unique-local IPv6', 'https://[fc00::1]/'],
  ['site-local IPv6', 'https://[fec0::1]/'],
  ['IPv6 loopback', 'https://[::1]/'],
  ['IPv6 unspecified', 'https://[::]/'],
  ['IPv6 multicast', 'https://[ff02::1]/'],
  ['IPv6 discard prefix', 'https://[100::1]/'],
  ['IPv6 documentation', 'https://[2001:db8::1]/'],
  ['IPv6 ORCHID', 'https://[2001:10::1]/'],
  ['credentials before a private host', 'https://hooks.example.com@10.0.0.1/'],
  ['a fragment that looks like a host', 'https://10.0.0.1#@hooks.example.com'],
  ['percent-encoded private host', 'https://%31%30.0.0.1/'],
  ['full-width digits and dots', 'https://１２７．０．０．１/'],
  ['ideographic full stops', 'https://127。0。0。1/'],
  ['trailing dot', 'https://10.0.0.1./'],
  ['carrier-grade NAT', 'https://100.64.0.1/'],
  ['benchmarking range', 'https://198.18.0.1/'],
  ['documentation TEST-NET-1', 'https://192.0.2.1/'],
  ['documentation TEST-NET-2', 'https://198.51.100.1/'],
  ['documentation TEST-NET-3', 'https://203.0.113.1/'],
  ['IETF protocol assignments', 'https://192.0.0.8/'],
  ['multicast', 'https://224.0.0.1/'],
  ['reserved 240/4', 'https://240.0.0.1/'],
  ['broadcast', 'https://255.255.255.255/'],
  ['this network', 'https://0.0.0.0/'],
  ['this network, one number', 'https://0/'],
  ['localhost', 'https://localhost/'],
  ['localhost with a trailing dot', 'https://localhost./'],
  ['a subdomain of localhost', 'https://hooks.localhost/'],
  ['localhost in capitals', 'https://LOCALHOST/'],
  ['plain http', 'http://hooks.example.com/'],
  ['file scheme', 'file:///etc/passwd'],
  ['gopher scheme', 'gopher://10.0.0.1:6379/_INFO'],
  ['ftp scheme', 'ftp://hooks.example.com/'],
  ['data scheme', 'data:text/plain,hello'],
  ['javascript scheme', 'javascript:alert(1)'],
  ['websocket scheme', 'wss://hooks.example.com/'],
  ['not a URL', 'hooks.example.com/webhook'],
];

/** Spellings only local mode accepts: loopback, so that a developer can receive on localhost. */
const LOOPBACK_SPELLINGS = new Set([
  'loopback as one decimal number',
  'loopback in octal',
  'loopback in hex, short form',
  'loopback, short form',
  'loopback, another host of 127/8',
  'IPv4-mapped loopback',
  'IPv6 loopback',
  'full-width digits and dots',
  'ideographic full stops',
  'localhost',
  'localhost with a trailing dot',
  'a subdomain of localhost',
  'localhost in capitals',
  'plain http',
]);

describe('the SSRF corpus', () => {
  it('has at least 50 spellings', () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(HOSTILE_URLS.map(([name]) => name)).size).toBe(HOSTILE_URLS.length);
  });

  it.each(HOSTILE_URLS)('a deployment refuses %s', (_name, url) => {
    expect(() => validateEndpointUrl(url, DEPLOYED_URL_POLICY)).toThrow();
  });

  it.each(HOSTILE_URLS.filter(([name]) => !LOOPBACK_SPELLINGS.has(name)))(
    'local mode refuses %s too',
    (_name, url) => {
      expect(() => validateEndpointUrl(url, LOCAL_URL_POLICY)).toThrow();
    },
  );

  it.each([
    ['a public address', 'https://93.184.216.34/hook'],
    ['an IPv4-mapped public address', 'https://[::ffff:93.184.216.34]/hook'],
    ['a public IPv6 address', 'https://[2606:4700:4700::1111]/hook'],
    ['a host name', 'https://hooks.example.com/hook'],
    ['an internationalized host name', 'https://xn--nxasmq6b.example/hook'],
  ])('a deployment accepts %s', (_name, url) => {
    expect(() => validateEndpointUrl(url, DEPLOYED_URL_POLICY)).not.toThrow();
  });
});

describe('the API refuses every spelling of the corpus', () => {
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

  it.each(HOSTILE_URLS)('at create and at PATCH: %s', async (_name, url) => {
    const created = await api.json('POST', `/v1/apps/${appId}/endpoints`, { url });
    expect(created.status).toBe(422);
    expect(created.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });

    const patched = await api.json('PATCH', `/v1/apps/${appId}/endpoints/${endpointId}`, { url });
    expect(patched.status).toBe(422);
    expect(patched.body).toMatchObject({ error: { code: expect.any(String) } });
  });

  it('stored none of them', async () => {
    const listed = await api.json('GET', `/v1/apps/${appId}/endpoints`);
    expect((listed.body.data as { url: string }[]).map((endpoint) => endpoint.url)).toEqual([endpointUrl]);
  });
});
