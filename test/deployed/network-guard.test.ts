import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../support/receiver';

/**
 * The guard every process of this tier runs under: what it lets through goes to 127.0.0.1,
 * what it refuses is refused before a packet leaves (nothing listens at these addresses,
 * and none is ever dialled), and every refusal is reported, which is what the other tests
 * count.
 */

const GUARD = join(import.meta.dirname, '..', 'support', 'deployed', 'network-guard.mjs');
let receiver: Receiver;
let scriptDir: string;

beforeAll(async () => {
  receiver = await Receiver.start();
  scriptDir = mkdtempSync(join(tmpdir(), 'hookpost-guard-'));
});
afterAll(async () => {
  await receiver?.close();
  if (scriptDir !== undefined) rmSync(scriptDir, { recursive: true, force: true });
});

/** Runs a module under the guard; answers what it printed and what the guard reported. */
function underGuard(
  source: string,
  network: unknown,
): Promise<{ printed: string[]; refused: { kind: string; target: string }[] }> {
  const file = join(scriptDir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  return new Promise((resolve) => {
    const child = fork(file, [], {
      execArgv: ['--import', GUARD],
      env: { PATH: process.env.PATH ?? '', HOOKPOST_TEST_NETWORK: JSON.stringify(network) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const printed: string[] = [];
    const refused: { kind: string; target: string }[] = [];
    child.stdout?.on('data', (chunk: Buffer) => printed.push(...chunk.toString().trim().split('\n')));
    child.on('message', (message: { type?: string; kind: string; target: string }) => {
      if (message.type === 'network-guard') refused.push({ kind: message.kind, target: message.target });
    });
    child.on('exit', () => resolve({ printed, refused }));
  });
}

const request = `
import http from 'node:http';
const get = (url) => new Promise((resolve) => {
  http.get(url, (response) => { response.resume(); response.on('end', () => resolve(String(response.statusCode))); })
    .on('error', (error) => resolve(error.code));
});
for (const url of process.argv.slice(2).length ? process.argv.slice(2) : JSON.parse(process.env.URLS ?? '[]')) console.log(await get(url));
`;

describe('the network guard', () => {
  it('sends a name of its table to 127.0.0.1, and refuses and reports any other name or address', async () => {
    const urls = [
      `http://receiver.hookpost.test:${receiver.port}/through`,
      'http://unlisted.hookpost.invalid/',
      'http://192.0.2.10:8080/',
      `http://127.0.0.1:${receiver.port}/loopback`,
    ];
    const run = await underGuard(`process.env.URLS = ${JSON.stringify(JSON.stringify(urls))};\n${request}`, {
      hosts: { 'receiver.hookpost.test': '11.22.33.44' },
      redirects: { '11.22.33.44': '127.0.0.1' },
    });
    expect(run.printed).toEqual(['200', 'ENOTFOUND', 'ECONNREFUSED', '200']);
    expect(run.refused).toEqual([
      { kind: 'resolve', target: 'unlisted.hookpost.invalid' },
      { kind: 'connect', target: '192.0.2.10:8080' },
    ]);
    expect(receiver.requests.map((received) => received.path)).toEqual(['/through', '/loopback']);
  });

  it('refuses the resolver functions that ask DNS servers directly', async () => {
    const run = await underGuard(
      "import dns from 'node:dns/promises';\nconsole.log(await dns.resolve4('refused.hookpost.invalid').catch((error) => error.code));",
      { hosts: {}, redirects: {} },
    );
    expect(run.printed).toEqual(['ENOTFOUND']);
    expect(run.refused).toEqual([{ kind: 'resolve', target: 'refused.hookpost.invalid' }]);
  });
});
