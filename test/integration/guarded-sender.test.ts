import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GuardedHttpSender, type LookupFunction } from '../../lambdas/adapters/http/guarded-http-sender';
import { Receiver } from '../support/receiver';

/**
 * What the sender does with the address a name resolves to. The resolver is injected: it
 * answers from the table below and asks no DNS server; the only address any test here
 * connects to is 127.0.0.1.
 */
const ANSWERS: Readonly<Record<string, readonly string[]>> = {
  'private.hooks.test': ['10.0.0.5'],
  'metadata.hooks.test': ['169.254.169.254'],
  'ipv6-metadata.hooks.test': ['fd00:ec2::254'],
  'mapped.hooks.test': ['::ffff:10.0.0.5'],
  'nat64.hooks.test': ['64:ff9b::a00:5'],
  'cgnat.hooks.test': ['100.64.0.9'],
  // A public first answer does not vouch for a private second one.
  'mixed.hooks.test': ['93.184.216.34', '10.0.0.5'],
  'loopback.hooks.test': ['127.0.0.1'],
};

const asked: string[] = [];
const tableLookup: LookupFunction = (hostname, options, callback) => {
  asked.push(hostname);
  const answers = ANSWERS[hostname];
  process.nextTick(() => {
    if (answers === undefined) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      return callback(error, '');
    }
    const entries: LookupAddress[] = answers.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
    if (options.all === true) callback(null, entries);
    else callback(null, entries[0]?.address ?? '', entries[0]?.family);
  });
};

describe('the guarded sender, with the address a name resolves to', () => {
  let receiver: Receiver;
  const deployed = new GuardedHttpSender({ allowLoopback: false, lookup: tableLookup });
  const local = new GuardedHttpSender({ allowLoopback: true, lookup: tableLookup });
  const post = (sender: GuardedHttpSender, url: string) =>
    sender.send({ url, headers: { 'content-type': 'application/json' }, body: '{}' }, { timeoutMs: 2_000 });

  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterEach(() => {
    asked.length = 0;
  });
  afterAll(async () => {
    deployed.close();
    local.close();
    await receiver.close();
  });

  it.each(Object.keys(ANSWERS).filter((name) => name !== 'loopback.hooks.test'))(
    'refuses %s with blocked_address, before connecting',
    async (name) => {
      const outcome = await post(deployed, `http://${name}:${receiver.port}/hook`);
      expect(outcome).toMatchObject({ kind: 'error', error: 'blocked_address' });
      expect(asked).toEqual([name]);
      expect(receiver.requests).toHaveLength(0);
    },
  );

  it('refuses a name that resolves to loopback when deployed, and connects to it locally', async () => {
    const url = `http://loopback.hooks.test:${receiver.port}/hook`;
    expect(await post(deployed, url)).toMatchObject({ kind: 'error', error: 'blocked_address' });
    expect(receiver.requests).toHaveLength(0);
    // The control: the injected resolver is what the connection uses.
    expect(await post(local, url)).toMatchObject({ kind: 'response', status: 200 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('never follows a redirect, not even to an allowed address', async () => {
    receiver.requests.length = 0;
    receiver.reply = () => ({
      status: 302,
      headers: { location: `http://127.0.0.1:${receiver.port}/elsewhere` },
    });
    const outcome = await post(local, `http://127.0.0.1:${receiver.port}/hook`);
    expect(outcome).toMatchObject({ kind: 'response', status: 302 });
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hook']);
  });
});
