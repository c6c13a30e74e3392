import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CloudFormationStub, HARNESS_ACCESS_KEY } from '../support/deployed/aws-stand-ins';
import { certificateFor } from '../support/deployed/certificates';
import { DeployedStack } from '../support/deployed/deployed-stack';
import { Receiver } from '../support/receiver';

/**
 * `npm run smoke` as an operator runs it after `cdk deploy`, against the deployed tier:
 * the command reads the stack's outputs (CloudFormation) and the admin key (Secrets
 * Manager) with the operator's credentials, then talks to the API at the `ApiUrl` output,
 * `https://<api>.execute-api.<region>.amazonaws.com/prod/`, which the network guard maps
 * to the emulated API on 127.0.0.1. Nothing else is reachable.
 */

const repositoryRoot = join(import.meta.dirname, '..', '..');
const GUARD = join(repositoryRoot, 'test', 'support', 'deployed', 'network-guard.mjs');
const RECEIVER_HOST = 'receiver.hookpost.test';
const RECEIVER_ADDRESS = '11.22.33.44';
const API_ADDRESS = '11.22.33.45';

let stack: DeployedStack;
let receiver: Receiver;
let cloudFormation: CloudFormationStub;
let workDir: string;
let operatorEnvironment: Record<string, string>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'hookpost-smoke-'));
  const receiverCertificate = await certificateFor(RECEIVER_HOST);
  writeFileSync(join(workDir, 'receiver.pem'), receiverCertificate.cert);
  receiver = await Receiver.start({ tls: receiverCertificate });
  stack = await DeployedStack.deploy({
    assemblyDir: inject('assemblyDir'),
    stackName: inject('stackName'),
    timeScale: 1 / 300,
    network: { hosts: { [RECEIVER_HOST]: RECEIVER_ADDRESS }, redirects: { [RECEIVER_ADDRESS]: '127.0.0.1' } },
    extraCaFile: join(workDir, 'receiver.pem'),
  });

  // API Gateway's own domain, served by the emulated API over HTTPS.
  const apiUrl = new URL(stack.output('ApiUrl'));
  const apiCertificate = await certificateFor(apiUrl.hostname);
  writeFileSync(join(workDir, 'api.pem'), apiCertificate.cert);
  const apiPort = await stack.api.listenTls(apiCertificate);
  cloudFormation = await CloudFormationStub.start([
    {
      stackName: inject('stackName'),
      stackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${inject('stackName')}/emulated`,
      outputs: Object.fromEntries(
        ['ApiUrl', 'AdminKeySecretArn', 'EgressIps', 'DashboardName'].map((name) => [
          name,
          stack.output(name),
        ]),
      ),
    },
  ]);
  operatorEnvironment = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: workDir,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: HARNESS_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'operator',
    AWS_CONFIG_FILE: join(workDir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.secrets.url,
    NODE_EXTRA_CA_CERTS: join(workDir, 'api.pem'),
    HOOKPOST_TEST_NETWORK: JSON.stringify({
      hosts: { [apiUrl.hostname]: API_ADDRESS },
      redirects: { [`${API_ADDRESS}:443`]: `127.0.0.1:${apiPort}` },
    }),
  };
});

afterAll(async () => {
  await cloudFormation?.close();
  await stack?.stop();
  await receiver?.close();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** Runs `npm run smoke -- <args>` the way npm would (tsx on scripts/smoke.ts), under the network guard. */
function smoke(
  args: readonly string[],
): Promise<{ code: number | null; output: string; refused: unknown[] }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', GUARD, join(repositoryRoot, 'scripts', 'smoke.ts'), ...args],
      { cwd: repositoryRoot, env: operatorEnvironment, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    let output = '';
    const refused: unknown[] = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'network-guard') refused.push(message);
    });
    child.on('exit', (code) => resolve({ code, output, refused }));
  });
}

describe('npm run smoke', () => {
  it('finds the deployment from its stack, delivers one message, reports it and cleans up', async () => {
    const run = await smoke([
      '--stack',
      inject('stackName'),
      '--receiver-url',
      `https://${RECEIVER_HOST}:${receiver.port}/smoke`,
    ]);
    expect(run.output).toContain('health: ok');
    expect(run.output).toMatch(/attempt 1: succeeded, HTTP 200/);
    expect(run.output).toContain('delivered: the receiver answered 2xx');
    expect(run.output).toContain('signature not checked');
    expect(run.code).toBe(0);
    expect(run.refused).toEqual([]);

    const [webhook] = receiver.requests.filter((request) => request.path === '/smoke');
    expect(JSON.parse(webhook?.body ?? '{}')).toMatchObject({
      type: 'hookpost.smoke',
      data: { check: 'smoke' },
    });
    expect(webhook?.headers['webhook-signature']).toMatch(/^v1,/);

    const appId = /cleaned up (app_\w+)/.exec(run.output)?.[1];
    const adminKey = stack.secrets.value(stack.output('AdminKeySecretArn'));
    const gone = await fetch(new URL(`v1/apps/${appId}`, stack.apiUrl), {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(gone.status).toBe(404);
  });

  it('checks the signature with the endpoint secret when the receiver echoes the request', async () => {
    receiver.reply = (request) => ({
      status: 200,
      body: JSON.stringify({ path: request.path, headers: request.headers }),
    });
    const run = await smoke([
      '--stack',
      inject('stackName'),
      '--receiver-url',
      `https://${RECEIVER_HOST}:${receiver.port}/echo`,
    ]);
    expect(run.output).toContain("verified: the receiver's answer shows the request it got");
    expect(run.code).toBe(0);
  });

  it('exits 1 when the request the receiver echoes carries a signature the secret did not make', async () => {
    receiver.reply = (request) => ({
      status: 200,
      body: JSON.stringify({
        headers: { ...request.headers, 'webhook-signature': 'v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU=' },
      }),
    });
    const run = await smoke([
      '--stack',
      inject('stackName'),
      '--receiver-url',
      `https://${RECEIVER_HOST}:${receiver.port}/forged`,
    ]);
    expect(run.output).toContain('delivered: the receiver answered 2xx');
    expect(run.output).toContain('signature mismatch');
    expect(run.code).toBe(1);
  });

  it('says so, and exits 1, when the receiver does not answer 2xx', async () => {
    receiver.reply = (request) =>
      request.path === '/refusing' ? { status: 500, body: 'no' } : { status: 200 };
    const run = await smoke([
      '--stack',
      inject('stackName'),
      '--receiver-url',
      `https://${RECEIVER_HOST}:${receiver.port}/refusing`,
      '--timeout-seconds',
      '4',
    ]);
    expect(run.output).toMatch(/attempt 1: failed, HTTP 500 \(http_status\)/);
    expect(run.output).toMatch(/not delivered: the delivery is pending/);
    expect(run.code).toBe(1);
  });

  it('refuses to guess when it cannot find the deployment', async () => {
    const run = await smoke(['--stack', 'NoSuchStack', '--receiver-url', `https://${RECEIVER_HOST}/`]);
    expect(run.output).toMatch(/smoke check failed: .*NoSuchStack does not exist/);
    expect(run.code).toBe(1);
  });

  it('made only calls the roles allow, and connected to nothing but loopback', () => {
    expect(stack.access.denials).toEqual([]);
    expect(stack.refusals).toEqual([]);
  });
});
