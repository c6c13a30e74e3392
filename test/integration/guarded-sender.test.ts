import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GuardedHttpSender, type LookupFunction } from '../../lambdas/adapters/http/guarded-http-sender';
import { DEPLOYED_URL_POLICY, LOCAL_URL_POLICY } from '../../lambdas/core/url-guard';
import { LoopbackOnlyNetwork } from '../support/loopback-network';
import { Receiver } from '../support/receiver';

/**
 * What the sender does with the address it is about to connect to. The resolver is
 * injected and answers from the tables below, asking no DNS server; the network guard lets
 * the process reach loopback only, and sends the one public-looking address a test name
 * resolves to (PUBLIC_ADDRESS) to 127.0.0.1, after the sender has checked it.
 */
const PUBLIC_ADDRESS = '93.184.216.34';

const INTERNAL_ANSWERS: readonly (readonly [string, string, readonly string[]])[] = [
  ['a private address', 'private.hooks.test', ['10.0.0.5']],
  ['the metadata address', 'metadata.hooks.test', ['169.254.169.254']],
  ['the IPv6 metadata address', 'ipv6-metadata.hooks.test', ['fd00:ec2::254']],
  ['an IPv4-mapped private address', 'mapped.hooks.test', ['::ffff:10.0.0.5']],
  ['an IPv4-compatible private address', 'compatible.hooks.test', ['::a00:5']],
  // How inet_ntop prints ::7f00:1 (ipaddr.js reads it as IPv4-mapped): refused, locally too.
  ['IPv4-compatible loopback, dotted', 'compatible-loopback.hooks.test', ['::127.0.0.1']],
  ['NAT64 of a private address', 'nat64.hooks.test', ['64:ff9b::a00:5']],
  ['6to4 of a private address', '6to4.hooks.test', ['2002:a00:5::1']],
  ['carrier-grade NAT', 'cgnat.hooks.test', ['100.64.0.9']],
  ['unique-local IPv6', 'ula.hooks.test', ['fd12:3456::1']],
  // A public first answer does not vouch for a private second one: the socket may try both.
  ['a public and then a private address', 'mixed.hooks.test', [PUBLIC_ADDRESS, '10.0.0.5']],
];

const FIXED_ANSWERS: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(INTERNAL_ANSWERS.map(([, name, answers]) => [name, answers])),
  'public.hooks.test': [PUBLIC_ADDRESS],
  'loopback.hooks.test': ['127.0.0.1'],
};

/** A rebinding DNS server: a public address first, the metadata address ever after. */
const REBINDING_NAME = 'rebinding.hooks.test';
const [REBINDING_FIRST, REBINDING_LATER] = [PUBLIC_ADDRESS, '169.254.169.254'] as const;

const asked: string[] = [];

/**
 * Every answer closes its connection, so that each attempt opens a new one and looks its
 * name up again instead of reusing a kept-alive socket.
 */
const CLOSE = { connection: 'close' } as const;
const answerOk = () => ({ status: 200, body: 'ok', headers: CLOSE });

const tableLookup: LookupFunction = (hostname, options, callback) => {
  const rebindingAnswer = asked.includes(REBINDING_NAME) ? REBINDING_LATER : REBINDING_FIRST;
  asked.push(hostname);
  const answers = hostname === REBINDING_NAME ? [rebindingAnswer] : FIXED_ANSWERS[hostname];
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

describe('the guarded sender, with the address it is about to connect to', () => {
  let network: LoopbackOnlyNetwork;
  let receiver: Receiver;
  let deployed: GuardedHttpSender;
  let local: GuardedHttpSender;
  const post = (sender: GuardedHttpSender, url: string) =>
    sender.send({ url, headers: { 'content-type': 'application/json' }, body: '{}' }, { timeoutMs: 2_000 });

  beforeAll(async () => {
    network = LoopbackOnlyNetwork.install({ [PUBLIC_ADDRESS]: '127.0.0.1' });
    receiver = await Receiver.start();
    receiver.reply = answerOk;
    deployed = new GuardedHttpSender({
      allowLoopback: DEPLOYED_URL_POLICY.allowLoopback,
      lookup: tableLookup,
    });
    local = new GuardedHttpSender({ allowLoopback: LOCAL_URL_POLICY.allowLoopback, lookup: tableLookup });
  });
  afterEach(() => {
    const refused = network.refused.splice(0);
    asked.length = 0;
    network.connections.length = 0;
    receiver.requests.length = 0;
    receiver.reply = answerOk;
    // Nothing but loopback and the redirected public address was ever dialled or resolved.
    expect(refused).toEqual([]);
  });
  afterAll(async () => {
    deployed?.close();
    local?.close();
    await receiver?.close();
    network?.uninstall();
  });

  it('connects to a name that resolves to a public address (the control)', async () => {
    const outcome = await post(deployed, `http://public.hooks.test:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'response', status: 200 });
    expect(network.connections).toEqual([`${PUBLIC_ADDRESS}:${receiver.port}`]);
    expect(receiver.requests).toHaveLength(1);
  });

  it.each(INTERNAL_ANSWERS)(
    'refuses a name that resolves to %s with blocked_address, before connecting',
    async (_what, name) => {
      for (const sender of [deployed, local]) {
        const outcome = await post(sender, `http://${name}:${receiver.port}/hook`);

        expect(outcome).toMatchObject({ kind: 'error', error: 'blocked_address' });
      }
      expect(asked).toEqual([name, name]);
      expect(network.connections).toEqual([]);
      expect(receiver.requests).toHaveLength(0);
    },
  );

  it.each([
    ['an IPv4-compatible private address, which ipaddr.js calls unicast', '[::a00:5]'],
    ['NAT64 of the metadata address', '[64:ff9b::a9fe:a9fe]'],
    ['a private address', '10.0.0.5'],
  ])('refuses a URL that spells out %s, before connecting', async (_what, host) => {
    const outcome = await post(deployed, `http://${host}:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'error', error: 'blocked_address' });
    expect(network.connections).toEqual([]);
  });

  it('refuses a name that resolves to loopback when deployed, and connects to it locally', async () => {
    const url = `http://loopback.hooks.test:${receiver.port}/hook`;

    expect(await post(deployed, url)).toMatchObject({ kind: 'error', error: 'blocked_address' });
    expect(network.connections).toEqual([]);
    expect(await post(local, url)).toMatchObject({ kind: 'response', status: 200 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('connects locally to a public address without warnings from the filtering agent', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const outcome = await post(local, `http://public.hooks.test:${receiver.port}/hook`);

      expect(outcome).toMatchObject({ kind: 'response', status: 200 });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('checks every lookup: a name that rebinds to the metadata address after a public answer is refused', async () => {
    const url = `http://${REBINDING_NAME}:${receiver.port}/hook`;

    const first = await post(deployed, url);
    const second = await post(deployed, url);

    expect(first).toMatchObject({ kind: 'response', status: 200 });
    expect(second).toMatchObject({ kind: 'error', error: 'blocked_address' });
    expect(asked).toEqual([REBINDING_NAME, REBINDING_NAME]);
    expect(network.connections).toEqual([`${PUBLIC_ADDRESS}:${receiver.port}`]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('records a redirect to an internal address as the 302 it is, and dials nothing else', async () => {
    receiver.reply = () => ({
      status: 302,
      headers: { ...CLOSE, location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
    });

    const outcome = await post(deployed, `http://public.hooks.test:${receiver.port}/hook`);

    expect(outcome).toMatchObject({ kind: 'response', status: 302 });
    expect(asked).toEqual(['public.hooks.test']);
    expect(network.connections).toEqual([`${PUBLIC_ADDRESS}:${receiver.port}`]);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hook']);
  });
});
