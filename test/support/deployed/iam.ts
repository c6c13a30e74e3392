/**
 * IAM policy evaluation, as far as the deployed tier needs it: identity policies (a
 * role's), resource policies (a Lambda function's, a queue's, a key's, a role's trust
 * policy). An explicit Deny wins, then any Allow, else the request is denied. Actions
 * match case-insensitively, resources case-sensitively, both with `*` and `?`. Condition
 * operators it does not know make an Allow not apply and a Deny apply: it errs towards
 * refusing, so a test cannot pass on a statement it did not understand.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Id?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** The Sid (or index) of the statement that decided, when one did. */
  readonly matchedBy?: string;
  /** Conditions the evaluator could not read, and treated as refusing. */
  readonly warnings: readonly string[];
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`, `s${flags}`);
}

export function actionMatches(pattern: string, action: string): boolean {
  return wildcard(pattern, 'i').test(action);
}

export function resourceMatches(pattern: string, resource: string): boolean {
  return wildcard(pattern).test(resource);
}

function contextValues(context: IamRequest['context'], key: string): readonly string[] | undefined {
  const entry = Object.entries(context ?? {}).find(([name]) => name.toLowerCase() === key.toLowerCase());
  return entry === undefined ? undefined : asList(entry[1]);
}

type ValueTest = (expected: string, actual: string) => boolean;

const OPERATORS: Readonly<Record<string, { test: ValueTest; negated: boolean }>> = {
  StringEquals: { test: (expected, actual) => expected === actual, negated: false },
  StringNotEquals: { test: (expected, actual) => expected === actual, negated: true },
  StringEqualsIgnoreCase: {
    test: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(),
    negated: false,
  },
  StringLike: { test: (expected, actual) => resourceMatches(expected, actual), negated: false },
  StringNotLike: { test: (expected, actual) => resourceMatches(expected, actual), negated: true },
  ArnEquals: { test: (expected, actual) => expected === actual, negated: false },
  ArnNotEquals: { test: (expected, actual) => expected === actual, negated: true },
  ArnLike: { test: (expected, actual) => resourceMatches(expected, actual), negated: false },
  ArnNotLike: { test: (expected, actual) => resourceMatches(expected, actual), negated: true },
  Bool: { test: (expected, actual) => expected.toLowerCase() === actual.toLowerCase(), negated: false },
};

/** Whether every condition of a statement holds; undefined when one cannot be read. */
function conditionsHold(
  conditions: PolicyStatement['Condition'],
  context: IamRequest['context'],
  warnings: string[],
): boolean | undefined {
  for (const [rawOperator, keys] of Object.entries(conditions ?? {})) {
    const [setOperator, operatorWithSuffix] = rawOperator.includes(':')
      ? (rawOperator.split(':') as [string, string])
      : [undefined, rawOperator];
    const ifExists = operatorWithSuffix.endsWith('IfExists');
    const operatorName = ifExists ? operatorWithSuffix.slice(0, -'IfExists'.length) : operatorWithSuffix;
    const operator = OPERATORS[operatorName];
    if (
      operator === undefined ||
      (setOperator !== undefined && !['ForAllValues', 'ForAnyValue'].includes(setOperator))
    ) {
      warnings.push(`condition operator ${rawOperator} is not evaluated`);
      return undefined;
    }
    for (const [key, expectedValue] of Object.entries(keys)) {
      const expected = asList(expectedValue as string | string[]).map(String);
      const actual = contextValues(context, key);
      if (actual === undefined) {
        if (ifExists || setOperator === 'ForAllValues') continue;
        // A negated operator on a missing key holds; anything else does not.
        if (operator.negated) continue;
        return false;
      }
      const matchesAny = (value: string) => expected.some((candidate) => operator.test(candidate, value));
      const holds =
        setOperator === 'ForAllValues'
          ? actual.every((value) => matchesAny(value) !== operator.negated)
          : setOperator === 'ForAnyValue'
            ? actual.some((value) => matchesAny(value) !== operator.negated)
            : operator.negated
              ? !actual.some(matchesAny)
              : actual.some(matchesAny);
      if (!holds) return false;
    }
  }
  return true;
}

function statementsOf(policy: PolicyDocument): readonly PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement as PolicyStatement];
}

function evaluateStatements(
  statements: readonly { statement: PolicyStatement; label: string }[],
  request: IamRequest,
  principalMatches: (statement: PolicyStatement) => boolean,
): Evaluation {
  const warnings: string[] = [];
  let allowedBy: string | undefined;
  for (const { statement, label } of statements) {
    if (!principalMatches(statement)) continue;
    const actionApplies =
      statement.NotAction !== undefined
        ? !asList(statement.NotAction).some((pattern) => actionMatches(pattern, request.action))
        : asList(statement.Action).some((pattern) => actionMatches(pattern, request.action));
    const resourceApplies =
      statement.NotResource !== undefined
        ? !asList(statement.NotResource).some((pattern) => resourceMatches(pattern, request.resource))
        : statement.Resource === undefined ||
          asList(statement.Resource).some((pattern) => resourceMatches(pattern, request.resource));
    if (!actionApplies || !resourceApplies) continue;
    const holds = conditionsHold(statement.Condition, request.context, warnings);
    if (statement.Effect === 'Deny' && holds !== false)
      return { decision: 'explicit-deny', matchedBy: label, warnings };
    if (statement.Effect === 'Allow' && holds === true) allowedBy ??= label;
  }
  return allowedBy === undefined
    ? { decision: 'implicit-deny', warnings }
    : { decision: 'allow', matchedBy: allowedBy, warnings };
}

const labelled = (policies: readonly PolicyDocument[]) =>
  policies.flatMap((policy, policyIndex) =>
    statementsOf(policy).map((statement, index) => ({
      statement,
      label: statement.Sid ?? `${policyIndex}.${index}`,
    })),
  );

/** The decision of identity policies (a role's) on a request. */
export function evaluate(policies: readonly PolicyDocument[], request: IamRequest): Evaluation {
  return evaluateStatements(labelled(policies), request, () => true);
}

/** Whether a statement's Principal names the caller: a service, an ARN, an account, or anyone. */
function principalNamed(
  principal: unknown,
  caller: { readonly principalService?: string; readonly principalArn?: string },
): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  const { Service, AWS } = principal as { Service?: string | string[]; AWS?: string | string[] };
  if (caller.principalService !== undefined && asList(Service).includes(caller.principalService)) return true;
  if (caller.principalArn === undefined) return false;
  const account = caller.principalArn.split(':')[4];
  return asList(AWS).some(
    (name) =>
      name === '*' ||
      name === caller.principalArn ||
      name === account ||
      name === `arn:aws:iam::${account}:root`,
  );
}

/** The decision of a resource policy on a request by a service or a role. */
export function evaluateResourcePolicy(
  policy: PolicyDocument,
  request: IamRequest & { readonly principalService?: string; readonly principalArn?: string },
): Evaluation {
  return evaluateStatements(labelled([policy]), request, (statement) =>
    statement.NotPrincipal !== undefined
      ? !principalNamed(statement.NotPrincipal, request)
      : principalNamed(statement.Principal, request),
  );
}

/**
 * The statement Lambda adds to a function's resource policy for an AWS::Lambda::Permission
 * (its resolved properties), as GetPolicy shows it: what counts towards the 20 KB limit.
 */
export function lambdaPermissionStatement(
  permission: {
    readonly Action: string;
    readonly Principal: string;
    readonly SourceArn?: string;
    readonly SourceAccount?: string;
    readonly PrincipalOrgID?: string;
    readonly FunctionUrlAuthType?: string;
  },
  functionArn: string,
): PolicyStatement {
  const principal = permission.Principal.endsWith('.amazonaws.com')
    ? { Service: permission.Principal }
    : {
        AWS: /^\d{12}$/.test(permission.Principal)
          ? `arn:aws:iam::${permission.Principal}:root`
          : permission.Principal,
      };
  const condition: Record<string, Record<string, string>> = {};
  if (permission.SourceArn !== undefined) condition.ArnLike = { 'AWS:SourceArn': permission.SourceArn };
  if (permission.SourceAccount !== undefined || permission.PrincipalOrgID !== undefined) {
    condition.StringEquals = {
      ...(permission.SourceAccount === undefined ? {} : { 'AWS:SourceAccount': permission.SourceAccount }),
      ...(permission.PrincipalOrgID === undefined ? {} : { 'aws:PrincipalOrgID': permission.PrincipalOrgID }),
    };
  }
  if (permission.FunctionUrlAuthType !== undefined) {
    condition.StringEquals = {
      ...condition.StringEquals,
      'lambda:FunctionUrlAuthType': permission.FunctionUrlAuthType,
    };
  }
  return {
    Effect: 'Allow',
    Principal: principal,
    Action: permission.Action,
    Resource: functionArn,
    ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
  };
}
