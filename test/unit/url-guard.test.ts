import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors';
import {
  classifyAddress,
  DEPLOYED_URL_POLICY as deployed,
  judgeAddress,
  LOCAL_URL_POLICY as local,
  validateEndpointUrl,
} from '../../lambdas/core/url-guard';

describe('judgeAddress', () => {
  it.each([
    ['93.184.215.14', 'public', 'unicast'],
    ['2606:4700::1111', 'public', 'unicast'],
    ['127.0.0.1', 'loopback', 'loopback'],
    ['127.1.2.3', 'loopback', 'loopback'],
    ['::1', 'loopback', 'loopback'],
    ['10.0.0.1', 'blocked', 'private'],
    ['172.16.5.4', 'blocked', 'private'],
    ['192.168.1.1', 'blocked', 'private'],
    ['100.64.0.1', 'blocked', 'carrierGradeNat'],
    ['169.254.169.254', 'blocked', 'linkLocal'],
    ['198.18.0.1', 'blocked', 'reserved'],
    ['fe80::1', 'blocked', 'linkLocal'],
    ['fe80::1%eth0', 'blocked', 'linkLocal'],
    ['fd00:ec2::254', 'blocked', 'uniqueLocal'],
    ['fc00::1', 'blocked', 'uniqueLocal'],
    ['fec0::1', 'blocked', 'deprecatedSiteLocal'],
    ['224.0.0.1', 'blocked', 'multicast'],
    ['ff02::1', 'blocked', 'multicast'],
    ['0.0.0.0', 'blocked', 'unspecified'],
    ['::', 'blocked', 'unspecified'],
    ['240.0.0.1', 'blocked', 'reserved'],
    ['255.255.255.255', 'blocked', 'broadcast'],
    ['192.0.2.1', 'blocked', 'reserved'],
    ['2001:db8::1', 'blocked', 'reserved'],
    ['not-an-ip', 'blocked', 'not an IP address'],
  ])('%s is %s (%s)', (address, expectedClass, reason) => {
    expect(judgeAddress(address)).toEqual({ class: expectedClass, reason });
    expect(classifyAddress(address)).toBe(expectedClass);
  });

  // Whatever they carry, public addresses included: see the rule in url-guard.ts.
  it.each([
    ['::ffff:93.184.216.34', 'ipv4Mapped'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:a9fe:a9fe', 'ipv4Mapped'],
    ['::5db8:d822', 'ipv4Compatible'],
    ['::a00:1', 'ipv4Compatible'],
    ['::ffff:0:5db8:d822', 'rfc6145'],
    ['64:ff9b::93.184.216.34', 'rfc6052'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['64:ff9b:1::5db8:d822', 'rfc6052'],
    ['2002:5db8:d822::1', '6to4'],
    ['2001:0:4136:e378:8000:63bf:a247:27dd', 'teredo'],
  ])('%s carries an IPv4 address and is refused (%s)', (address, reason) => {
    expect(judgeAddress(address)).toEqual({ class: 'blocked', reason });
  });
});

describe('validateEndpointUrl', () => {
  it.each([
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://0x7f.1/',
    'http://127.1/',
    'http://127.0.0.1./',
    'http://[::ffff:127.0.0.1]/',
    'http://[::1]/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/',
    'http://[fd00:ec2::254]/',
    'http://10.1.2.3:8080/hook',
    'http://0/',
  ])('a deployment refuses %s, spelled with https', (url) => {
    const https = url.replace(/^http:/, 'https:');
    expect(() => validateEndpointUrl(https, deployed)).toThrow(ValidationError);
  });

  it.each([
    'https://127.0.0.1:9000/hook',
    'http://localhost:3000/webhooks',
    'http://[::1]:8080/',
    'http://2130706433:8080/',
  ])('accepts loopback %s in local mode', (url) => {
    expect(() => validateEndpointUrl(url, local)).not.toThrow();
  });

  it.each([
    ['http://10.0.0.1/', 'private'],
    ['http://169.254.169.254/', 'linkLocal'],
    ['http://[::ffff:192.168.0.1]/', 'ipv4Mapped'],
    ['http://[::ffff:127.0.0.1]/', 'ipv4Mapped'],
    ['http://[2002:7f00:1::]/', '6to4'],
  ])('refuses %s in local mode as well (%s)', (url, reason) => {
    expect(() => validateEndpointUrl(url, local)).toThrow(`(${reason})`);
  });

  it.each([
    ['http://example.com/hook', 'https'],
    ['ftp://example.com/', 'https'],
    ['not a url', 'not valid'],
    ['https://user:pass@example.com/', 'credentials'],
    [`https://example.com/${'a'.repeat(2100)}`, 'longer'],
  ])('refuses %s (%s)', (url, reason) => {
    expect(() => validateEndpointUrl(url, deployed)).toThrow(reason);
  });

  it('names the url field in the error details', () => {
    try {
      validateEndpointUrl('https://10.0.0.1/', deployed);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details).toEqual([
        { path: 'url', message: expect.stringContaining('10.0.0.1') },
      ]);
    }
  });

  it('accepts a public https URL and leaves host names to the delivery-time check', () => {
    expect(validateEndpointUrl('https://hooks.example.com/in?x=1', deployed).href).toBe(
      'https://hooks.example.com/in?x=1',
    );
  });
});
