import { createHash } from 'node:crypto';
import type http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../lambdas/adapters/aws/json-protocol/aws-json-client';
import { evaluate, evaluateResourcePolicy, type PolicyDocument } from './iam';

/**
 * Who may call what, as IAM would decide it for the stack's roles: the stand-ins for AWS
 * services identify the caller by the access key of its SigV4 signature (each function and
 * each service role gets its own), evaluate that role's policies from the template, and
 * the target's resource policy where it has one, then record the call and the decision.
 */

export interface RoleIdentity {
  readonly logicalId: string;
  readonly arn: string;
  readonly policies: readonly PolicyDocument[];
  /** The role's trust policy: who may assume it. */
  readonly trustPolicy: PolicyDocument | undefined;
}

export interface CallRecord {
  /** The role's logical id in the template, or the access key when no role has it. */
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly reason?: string;
}

/** The credentials every function's role has in the harness (lambda-runtime.ts puts them in the functions' environment). */
export const ROLE_CREDENTIALS = {
  secretAccessKey: 'emulated-role-secret',
  sessionToken: 'emulated-role-session',
} as const;

export class AccessDenied extends Error {
  override readonly name = 'AccessDenied';
}

export class AccessControl {
  readonly calls: CallRecord[] = [];

  constructor(
    private readonly rolesByAccessKey: ReadonlyMap<string, RoleIdentity>,
    /** Resource policies by the ARN they guard (queue policies, secret policies). */
    private readonly resourcePolicies: ReadonlyMap<string, readonly PolicyDocument[]>,
    /** The region the stack is deployed to: a signature must be scoped to it. */
    private readonly region: string,
  ) {}

  get denials(): CallRecord[] {
    return this.calls.filter((call) => !call.allowed);
  }

  callsBy(roleLogicalId: string): CallRecord[] {
    return this.calls.filter((call) => call.caller === roleLogicalId);
  }

  /**
   * Why a function's request is not signed as AWS would accept it, or `undefined` when it
   * is. Only the functions' calls are checked (signed with their role's key), not the
   * harness's own or an operator's.
   */
  async signatureProblem(
    request: http.IncomingMessage,
    body: Buffer,
    service: string,
  ): Promise<string | undefined> {
    if (!this.rolesByAccessKey.has(accessKeyOf(request))) return undefined;
    return signatureProblemOf(request, body, {
      ...ROLE_CREDENTIALS,
      scope: { region: this.region, service },
    });
  }

  /** The logical id of the role an access key belongs to, or the key itself. */
  roleOf(accessKeyId: string): string {
    return this.rolesByAccessKey.get(accessKeyId)?.logicalId ?? accessKeyId;
  }

  roleByArn(arn: string): RoleIdentity | undefined {
    return [...this.rolesByAccessKey.values()].find((role) => role.arn === arn);
  }

  /**
   * Whether the caller may make this call; records the call either way. Same-account
   * access: an Allow in the caller's policies or in the resource's policy suffices, an
   * explicit Deny in either wins. Calls are made over TLS on AWS, so `aws:SecureTransport`
   * is true.
   */
  authorize(
    accessKeyId: string,
    action: string,
    resource: string,
    context: Record<string, string> = {},
  ): boolean {
    const role = this.rolesByAccessKey.get(accessKeyId);
    const request = { action, resource, context: { 'aws:SecureTransport': 'true', ...context } };
    if (role === undefined) {
      this.calls.push({ caller: accessKeyId, action, resource, allowed: false, reason: 'unknown caller' });
      return false;
    }
    const identity = evaluate([...role.policies], request);
    const resourceDecisions = (this.resourcePolicies.get(resource) ?? []).map((policy) =>
      evaluateResourcePolicy(policy, { ...request, principalArn: role.arn }),
    );
    const denied =
      identity.decision === 'explicit-deny' || resourceDecisions.some((d) => d.decision === 'explicit-deny');
    const allowed =
      !denied && (identity.decision === 'allow' || resourceDecisions.some((d) => d.decision === 'allow'));
    this.calls.push({
      caller: role.logicalId,
      action,
      resource,
      allowed,
      ...(allowed ? {} : { reason: denied ? 'explicit deny' : 'no statement allows it' }),
    });
    return allowed;
  }

  /** Whether `service` may assume the role (its trust policy), as EventBridge Scheduler does before it acts. */
  mayAssume(roleArn: string, service: string, context: Record<string, string>): boolean {
    const role = this.roleByArn(roleArn);
    const trusted =
      role?.trustPolicy !== undefined &&
      evaluateResourcePolicy(role.trustPolicy, {
        principalService: service,
        action: 'sts:AssumeRole',
        resource: roleArn,
        context,
      }).decision === 'allow';
    this.calls.push({
      caller: service,
      action: 'sts:AssumeRole',
      resource: roleArn,
      allowed: trusted,
      ...(trusted ? {} : { reason: 'the role does not trust the service' }),
    });
    return trusted;
  }
}

/** The access key of a SigV4-signed request (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export function accessKeyOf(request: http.IncomingMessage): string {
  const authorization = request.headers.authorization ?? '';
  return /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? 'unsigned';
}

/**
 * Checks a request's SigV4 signature as the service would: the request as it arrived (its
 * method, path, query, the headers it says it signed and its body) is signed again with
 * the caller's secret key at the time and scope it names, and the two signatures compared.
 * Answers what is wrong, or `undefined`. As AWS does, it also refuses a signature scoped to
 * another region or service, one without the session token the credentials came with,
 * one that leaves the host or the time unsigned, and a body other than the one whose hash
 * was signed.
 */
export async function signatureProblemOf(
  request: http.IncomingMessage,
  body: Buffer,
  expected: {
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
    readonly scope: { readonly region: string; readonly service: string };
  },
): Promise<string | undefined> {
  const authorization = request.headers.authorization ?? '';
  const parts =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (parts === null) return `not a SigV4 Authorization header: ${authorization}`;
  const [, accessKeyId = '', , region = '', service = '', signedHeaders = '', signature] = parts;
  if (region !== expected.scope.region || service !== expected.scope.service) {
    return `signed for ${service} in ${region}, not ${expected.scope.service} in ${expected.scope.region}`;
  }
  const signed = signedHeaders.split(';');
  for (const name of ['host', 'x-amz-date']) {
    if (!signed.includes(name)) return `the ${name} header is not signed`;
  }
  const sessionToken = request.headers['x-amz-security-token'];
  if (expected.sessionToken !== undefined && sessionToken !== expected.sessionToken) {
    return 'the session token of the credentials is missing or wrong';
  }
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const claimedHash = request.headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== bodyHash) return 'the body is not the one signed';
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (date === null) return `no x-amz-date: ${amzDate}`;
  const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = request.headers[name];
    if (value === undefined) return `the signed header ${name} is missing`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({
    service,
    region,
    sha256: NodeSha256,
    credentials: {
      accessKeyId,
      secretAccessKey: expected.secretAccessKey,
      ...(typeof sessionToken === 'string' ? { sessionToken } : {}),
    },
  });
  const resigned = await signer.sign(
    {
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: (headers.host ?? '').split(':')[0] ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    },
    { signingDate },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(resigned.headers.authorization ?? '')?.[1];
  return expectedSignature === signature ? undefined : 'the signature does not match the request';
}

/** The whole body of a request. */
export async function bodyOf(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Answers a JSON-protocol call with an AWS error (awsJson / restJson shapes). */
export function sendAwsError(
  response: http.ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ __type: type, message, Message: message }));
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(body));
}
