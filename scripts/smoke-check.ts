import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Message } from '../lambdas/core/model';
import { sign } from '../lambdas/core/signing';
import { RESPONSE_BODY_LIMIT_BYTES, webhookBody } from '../lambdas/core/webhook';

/**
 * The smoke check of a live deployment (`npm run smoke`, see scripts/smoke.ts): finding
 * the deployment with the operator's AWS credentials, then the check itself, which only
 * talks to the deployment's API.
 */

export const SMOKE_EVENT_TYPE = 'hookpost.smoke';

export interface Deployment {
  readonly apiUrl: string;
  readonly adminKey: string;
}

export interface SmokeReport {
  readonly delivered: boolean;
  /**
   * What the signature check found: the receiver's answer showed the request's headers and
   * its signature is the endpoint secret's (`verified`) or not (`mismatch`), or the answer
   * did not show them (`not shown`): then only the 2xx is known.
   */
  readonly signature: 'verified' | 'mismatch' | 'not shown';
  readonly lines: readonly string[];
}

/** Whether the check passed: delivered, and no signature seen that the secret did not make. */
export const passed = (report: SmokeReport) => report.delivered && report.signature !== 'mismatch';

interface Clients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
}

/** The API URL and admin key of a deployment: from its stack's outputs, or as given. */
export async function findDeployment(
  target: { readonly stackName?: string; readonly apiUrl?: string; readonly adminKeySecret?: string },
  clients: Clients,
): Promise<Deployment> {
  let apiUrl = target.apiUrl;
  let secretId = target.adminKeySecret;
  if (target.stackName !== undefined) {
    const { Stacks = [] } = await clients.cloudFormation.send(
      new DescribeStacksCommand({ StackName: target.stackName }),
    );
    const outputs = new Map(
      (Stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
    );
    apiUrl ??= outputs.get('ApiUrl');
    secretId ??= outputs.get('AdminKeySecretArn');
  }
  if (apiUrl === undefined || secretId === undefined) {
    throw new Error('Give --stack (a Hookpost stack), or both --api-url and --admin-key-secret.');
  }
  const { SecretString } = await clients.secretsManager.send(
    new GetSecretValueCommand({ SecretId: secretId }),
  );
  if (SecretString === undefined) throw new Error(`The secret ${secretId} holds no key.`);
  return { apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`, adminKey: SecretString };
}

/** The check itself, over the API alone. */
export async function runSmoke(options: {
  readonly deployment: Deployment;
  readonly receiverUrl: string;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}): Promise<SmokeReport> {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    options.log?.(line);
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, options.deployment.apiUrl), {
      method,
      headers: {
        authorization: `Bearer ${options.deployment.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: the API's answers are read field by field
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as any };
  };
  const expectStatus = (what: string, answer: { status: number; body: unknown }, ...expected: number[]) => {
    if (!expected.includes(answer.status)) {
      throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  };

  const health = await call('GET', 'v1/health');
  expectStatus('health', health, 200);
  say(`health: ok (${options.deployment.apiUrl})`);

  const eventType = await call('POST', 'v1/event-types', {
    name: SMOKE_EVENT_TYPE,
    description: 'Sent by `npm run smoke` to check a deployment.',
  });
  expectStatus('event type', eventType, 201, 409);
  if (eventType.status === 409)
    expectStatus(
      'event type',
      await call('PATCH', `v1/event-types/${SMOKE_EVENT_TYPE}`, { archived: false }),
      200,
    );

  const app = await call('POST', 'v1/apps', { name: 'Hookpost smoke check', metadata: { purpose: 'smoke' } });
  expectStatus('application', app, 201);
  const appId = app.body.id as string;
  try {
    const endpoint = await call('POST', `v1/apps/${appId}/endpoints`, {
      url: options.receiverUrl,
      eventTypes: [SMOKE_EVENT_TYPE],
    });
    expectStatus('endpoint', endpoint, 201);
    const message = await call('POST', `v1/apps/${appId}/messages`, {
      eventType: SMOKE_EVENT_TYPE,
      payload: { check: 'smoke', sentAt: new Date().toISOString() },
    });
    expectStatus('message', message, 202);
    say(`sent ${message.body.id} to ${options.receiverUrl}`);

    const deadline = Date.now() + options.timeoutMs;
    let delivery: { status: string; attemptCount: number } | undefined;
    do {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
      delivery = (await call('GET', `v1/apps/${appId}/messages/${message.body.id}`)).body.deliveries?.[0];
    } while (delivery?.status !== 'succeeded' && delivery?.status !== 'failed' && Date.now() < deadline);

    const attempts = await call('GET', `v1/apps/${appId}/messages/${message.body.id}/attempts`);
    for (const attempt of attempts.body.data ?? []) {
      say(
        `attempt ${attempt.attemptNumber}: ${attempt.outcome}, HTTP ${attempt.responseStatus ?? '-'}` +
          `${attempt.error === null ? '' : ` (${attempt.error})`} in ${attempt.durationMs} ms`,
      );
    }
    const delivered = delivery?.status === 'succeeded';
    say(
      delivered
        ? 'delivered: the receiver answered 2xx'
        : `not delivered: the delivery is ${delivery?.status ?? 'unknown'} after ${options.timeoutMs / 1000} s`,
    );
    const succeeded = (attempts.body.data ?? []).find(
      (attempt: { outcome: string }) => attempt.outcome === 'succeeded',
    );
    let signature: SmokeReport['signature'] = 'not shown';
    if (succeeded !== undefined) {
      const secret = (await call('GET', `v1/apps/${appId}/endpoints/${endpoint.body.id}/secret`)).body.key;
      const sent = (await call('GET', `v1/apps/${appId}/messages/${message.body.id}`)).body;
      signature = checkSignature(succeeded.responseBody ?? '', secret, sent);
      say(SIGNATURE_FINDINGS[signature]);
    }
    return { delivered, signature, lines };
  } finally {
    const deleted = await call('DELETE', `v1/apps/${appId}`);
    say(deleted.status === 204 ? `cleaned up ${appId}` : `could not delete ${appId}: HTTP ${deleted.status}`);
  }
}

const SIGNATURE_FINDINGS: Readonly<Record<SmokeReport['signature'], string>> = {
  verified: "verified: the receiver's answer shows the request it got, signed with the endpoint's secret",
  mismatch:
    "signature mismatch: the receiver's answer shows a request whose signature the endpoint's secret did not make",
  'not shown':
    "signature not checked: the receiver's answer does not show the request's webhook-* headers (use a receiver that echoes them to check it)",
};

/**
 * Checks the signature of the request a receiver got, from the receiver's own answer
 * (Hookpost keeps its first 4 KiB with the attempt): an echoing receiver or a request
 * inspector shows the request's headers there, as JSON or as text.
 */
export function checkSignature(
  answer: string,
  secret: string,
  message: Pick<Message, 'id' | 'eventType' | 'timestamp' | 'payload'>,
): SmokeReport['signature'] {
  const header = (name: string) => headerIn(answer, name);
  const [id, timestamp, signatures] = [
    header('webhook-id'),
    header('webhook-timestamp'),
    header('webhook-signature'),
  ];
  if (id === undefined || timestamp === undefined || signatures === undefined || !/^\d+$/.test(timestamp))
    return 'not shown';
  const expected = sign(secret, {
    msgId: message.id,
    timestampSeconds: Number(timestamp),
    body: webhookBody(message),
  });
  return id === message.id && signatures.split(' ').includes(expected) ? 'verified' : 'mismatch';
}

/** A header's value as an answer shows it: a JSON member of that name at any depth, else a `name: value` line of text. */
function headerIn(answer: string, name: string): string | undefined {
  const found = (value: unknown): string | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    for (const [key, member] of Object.entries(value)) {
      if (key.toLowerCase() === name && typeof member === 'string') return member;
      const inner = found(member);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  try {
    const inJson = found(JSON.parse(answer));
    if (inJson !== undefined) return inJson;
  } catch {
    // Not JSON: read it as text.
  }
  // A whole line: an answer is kept up to 4 KiB, and the last line of one cut there is not
  // the header it starts; the last line of a shorter answer is whole.
  const cut = Buffer.byteLength(answer) >= RESPONSE_BODY_LIMIT_BYTES - 3;
  const lineEnd = cut ? '\\r?\\n' : '(?:\\r?\\n|$)';
  return new RegExp(`^${name}:[ \\t]*(.+?)[ \\t]*${lineEnd}`, 'im').exec(answer)?.[1];
}
