import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors';
import { classifyAddress, validateEndpointUrl } from '../../lambdas/core/url-guard';

const deployed = { allowHttp: false, allowLoopback: false };
const local = { allowHttp: true, allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['93.184.215.14', 'public'],
    ['2606:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'blocked'],
    ['172.16.5.4', 'blocked'],
    ['192.168.1.1', 'blocked'],
    ['100.64.0.1', 'blocked'],
    ['169.254.169.254', 'blocked'],
    ['fe80::1', 'blocked'],
    ['fd00:ec2::254', 'blocked'],
    ['fc00::1', 'blocked'],
    ['224.0.0.1', 'blocked'],
    ['ff02::1', 'blocked'],
    ['0.0.0.0', 'blocked'],
    ['::', 'blocked'],
    ['240.0.0.1', 'blocked'],
    ['255.255.255.255', 'blocked'],
    ['192.0.2.1', 'blocked'],
    ['::ffff:10.0.0.1', 'blocked'],
    ['::ffff:169.254.169.254', 'blocked'],
    ['64:ff9b::a9fe:a9fe', 'blocked'],
    ['not-an-ip', 'blocked'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
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
  ])('refuses %s in every spelling (local mode too, unless loopback)', (url) => {
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

  it.each(['http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::ffff:192.168.0.1]/'])(
    'refuses %s in local mode as well',
    (url) => {
      expect(() => validateEndpointUrl(url, local)).toThrow(ValidationError);
    },
  );

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
