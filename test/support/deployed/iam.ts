/**
 * IAM policy evaluation, as far as the deployed tier needs it: identity policies (a
 * role's), resource policies (a Lambda function's, a queue's, a key's, a role's trust
 * policy). An explicit Deny wins, then any Allow, else the request is denied. Actions
 * match case-insensitively, resources case-sensitively, both with `*` and `?`. Whatever
 * it cannot read (a condition operator it does not know, a policy variable without a
 * value, a statement without Action or Resource) makes an Allow not apply and a Deny
 * apply, with a warning: it errs towards refusing, so a test cannot pass on a statement
 * it did not understand.
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
  /** Condition keys and their values; keys match case-insensitively, as in IAM. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface ResourcePolicyRequest extends IamRequest {
  /** The calling service, e.g. `apigateway.amazonaws.com`. */
  readonly principalService?: string;
  /** The calling role, user or assumed-role session. */
  readonly principalArn?: string;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** The Sid (or `policy.statement` index) of the statement that decided, when one did. */
  readonly matchedBy?: string;
  /**
   * A resource policy's Allow that names the caller's account rather than the caller: it
   * lets the account's identity policies decide, and allows nothing by itself.
   */
  readonly delegatedBy?: string;
  /** What the evaluator could not read, and treated as refusing. */
  readonly warnings: readonly string[];
}

type Context = IamRequest['context'];

/** Whether part of a statement applies to the request; `unknown` when it cannot be read. */
type Match = 'match' | 'no-match' | 'unknown';

/** Policy variables (`${aws:username}`) exist from this version; older documents read `${` literally. */
const VARIABLES_VERSION = '2012-10-17';

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function contextValues(context: Context, key: string): readonly string[] | undefined {
  const entry = Object.entries(context ?? {}).find(([name]) => name.toLowerCase() === key.toLowerCase());
  return entry === undefined ? undefined : asList(entry[1]);
}

/** `${*}`, `${?}` and `${$}` write the characters themselves, not wildcards. */
const ESCAPED_CHARACTERS: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/** The value of a policy variable (`aws:username` or `aws:username, 'default'`), undefined when it has none. */
function variableValue(expression: string, context: Context): string | undefined {
  const escaped = Object.hasOwn(ESCAPED_CHARACTERS, expression) ? ESCAPED_CHARACTERS[expression] : undefined;
  if (escaped !== undefined) return escaped;
  const [, key, fallback] = /^\s*([^\s,]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(expression) ?? [];
  if (key === undefined) return undefined;
  const values = contextValues(context, key);
  // A multivalued key cannot fill a variable.
  if (values !== undefined) return values.length === 1 ? values[0] : undefined;
  return fallback;
}

/** Policy variables are read from the request context, or not at all (`null`: a pre-2012 document, an action). */
type Variables = { readonly context: Context } | null;

/**
 * A pattern as a regular expression: `*` any run of characters (`:` and `/` included),
 * `?` any one; a policy variable's value is literal. A string when a variable has no value.
 */
function compilePattern(pattern: string, ignoreCase: boolean, variables: Variables): RegExp | string {
  let body = '';
  let index = 0;
  while (index < pattern.length) {
    const end = variables !== null && pattern.startsWith('${', index) ? pattern.indexOf('}', index) : -1;
    if (variables !== null && end !== -1) {
      const value = variableValue(pattern.slice(index + 2, end), variables.context);
      if (value === undefined) return pattern.slice(index, end + 1);
      body += escapeRegExp(value);
      index = end + 1;
      continue;
    }
    const character = pattern.charAt(index);
    body += character === '*' ? '.*' : character === '?' ? '.' : escapeRegExp(character);
    index += 1;
  }
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function patternMatch(pattern: string, value: string, ignoreCase: boolean, variables: Variables): Match {
  const compiled = compilePattern(pattern, ignoreCase, variables);
  return typeof compiled === 'string' ? 'unknown' : compiled.test(value) ? 'match' : 'no-match';
}

/** Whether an action pattern (`s3:Get*`) covers an action; service prefix and name are case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return patternMatch(pattern, action, true, null) === 'match';
}

/** Whether a resource pattern covers a resource: case-sensitive, `*` spans ARN segments. */
export function resourceMatches(pattern: string, resource: string): boolean {
  return patternMatch(pattern, resource, false, null) === 'match';
}

/** `match` when one is, however unreadable the others; `unknown` when none is and one could not be read. */
const anyOf = (matches: readonly Match[]): Match =>
  matches.includes('match') ? 'match' : matches.includes('unknown') ? 'unknown' : 'no-match';

const anyMatch = (patterns: readonly string[], test: (pattern: string) => Match): Match =>
  anyOf(patterns.map(test));

const negate = (match: Match): Match =>
  match === 'unknown' ? 'unknown' : match === 'match' ? 'no-match' : 'match';

/** `match` only when all are; `no-match` as soon as one is not, however unreadable the others. */
const allOf = (matches: readonly Match[]): Match =>
  matches.includes('no-match') ? 'no-match' : matches.includes('unknown') ? 'unknown' : 'match';

/** Splits an ARN into its six parts (the last keeps its colons), ignoring colons inside `${…}`. */
function arnParts(arn: string): string[] | undefined {
  const ARN_PARTS = 6;
  const parts: string[] = [];
  let start = 0;
  let inVariable = false;
  for (let index = 0; index < arn.length && parts.length < ARN_PARTS - 1; index += 1) {
    if (arn.startsWith('${', index)) inVariable = true;
    else if (arn.charAt(index) === '}') inVariable = false;
    else if (arn.charAt(index) === ':' && !inVariable) {
      parts.push(arn.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(arn.slice(start));
  return parts.length === ARN_PARTS && parts[0] === 'arn' ? parts : undefined;
}

/**
 * ArnEquals and ArnLike (the same test, as IAM documents it): each of an ARN's six parts
 * is matched separately, with wildcards, so a `*` in the region cannot eat the account.
 */
function arnMatch(expected: string, actual: string, variables: Variables): Match {
  const expectedParts = arnParts(expected);
  if (expectedParts === undefined) return patternMatch(expected, actual, false, variables);
  const actualParts = arnParts(actual);
  if (actualParts === undefined) return 'no-match';
  return allOf(
    expectedParts.map((part, index) => patternMatch(part, actualParts[index] ?? '', false, variables)),
  );
}

type ValueTest = (expected: string, actual: string, variables: Variables) => Match;

/** A string with its policy variables replaced by their values, undefined when one has none. */
function substitute(text: string, variables: Variables): string | undefined {
  if (variables === null) return text;
  let unresolved = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
    const value = variableValue(expression, variables.context);
    if (value === undefined) unresolved = true;
    return value ?? whole;
  });
  return unresolved ? undefined : result;
}

/** Equality once the expected value's policy variables are filled in; wildcards are literal here. */
function equalsAfterSubstitution(
  expected: string,
  actual: string,
  fold: (text: string) => string,
  variables: Variables,
): Match {
  const substituted = substitute(expected, variables);
  if (substituted === undefined) return 'unknown';
  return fold(substituted) === fold(actual) ? 'match' : 'no-match';
}

interface Operator {
  readonly test: ValueTest;
  /** Not-operators hold when no value matches, and when the key is missing. */
  readonly negated: boolean;
}

const stringEquals: ValueTest = (expected, actual, variables) =>
  equalsAfterSubstitution(expected, actual, (text) => text, variables);
const stringEqualsIgnoreCase: ValueTest = (expected, actual, variables) =>
  equalsAfterSubstitution(expected, actual, (text) => text.toLowerCase(), variables);
const stringLike: ValueTest = (expected, actual, variables) =>
  patternMatch(expected, actual, false, variables);
const booleanEquals: ValueTest = (expected, actual) =>
  expected.toLowerCase() === actual.toLowerCase() ? 'match' : 'no-match';

const OPERATORS: Readonly<Record<string, Operator>> = {
  StringEquals: { test: stringEquals, negated: false },
  StringNotEquals: { test: stringEquals, negated: true },
  StringEqualsIgnoreCase: { test: stringEqualsIgnoreCase, negated: false },
  StringNotEqualsIgnoreCase: { test: stringEqualsIgnoreCase, negated: true },
  StringLike: { test: stringLike, negated: false },
  StringNotLike: { test: stringLike, negated: true },
  ArnEquals: { test: arnMatch, negated: false },
  ArnLike: { test: arnMatch, negated: false },
  ArnNotEquals: { test: arnMatch, negated: true },
  ArnNotLike: { test: arnMatch, negated: true },
  Bool: { test: booleanEquals, negated: false },
};

type SetOperator = 'ForAllValues' | 'ForAnyValue';

interface ParsedOperator {
  readonly set: SetOperator | undefined;
  readonly ifExists: boolean;
  /** Undefined for `Null`, which tests whether the key is there at all. */
  readonly operator: Operator | undefined;
}

function parseOperator(written: string): ParsedOperator | undefined {
  const parts = written.split(':');
  const [set, withSuffix] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || withSuffix === undefined) return undefined;
  if (set !== undefined && set !== 'ForAllValues' && set !== 'ForAnyValue') return undefined;
  const ifExists = withSuffix.endsWith('IfExists');
  const name = ifExists ? withSuffix.slice(0, -'IfExists'.length) : withSuffix;
  if (name === 'Null')
    return ifExists || set !== undefined ? undefined : { set, ifExists, operator: undefined };
  const operator = Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined;
  return operator === undefined ? undefined : { set, ifExists, operator };
}

/** One key of one condition operator, against the request context. */
function conditionMatch(
  parsed: ParsedOperator,
  key: string,
  expectedValues: readonly string[],
  context: Context,
  variables: Variables,
): Match {
  const actual = contextValues(context, key);
  const { operator, set } = parsed;
  if (operator === undefined) {
    // Null: "true" asks for the key to be missing, "false" for it to be there.
    const wantsMissing = expectedValues[0]?.toLowerCase() === 'true';
    return wantsMissing === (actual === undefined || actual.length === 0) ? 'match' : 'no-match';
  }
  if (actual === undefined || actual.length === 0) {
    // As IAM documents it: IfExists and ForAllValues hold on a missing key, so do not-operators; the rest do not.
    if (parsed.ifExists || set === 'ForAllValues' || (operator.negated && set === undefined)) return 'match';
    return 'no-match';
  }
  const matchesSome = (value: string) =>
    anyMatch(expectedValues, (expected) => operator.test(expected, value, variables));
  const perValue = actual.map((value) =>
    operator.negated ? negate(matchesSome(value)) : matchesSome(value),
  );
  if (set === 'ForAllValues') return allOf(perValue);
  if (set === 'ForAnyValue') return anyOf(perValue);
  // A single-valued operator: a not-operator holds when no value matches, the others when one does.
  return operator.negated ? allOf(perValue) : anyOf(perValue);
}

/** Whether every condition of a statement holds; `unknown` when one cannot be read and none fails. */
function conditionsMatch(
  conditions: unknown,
  context: Context,
  variables: Variables,
  warnings: string[],
): Match {
  if (conditions === undefined) return 'match';
  if (!isRecord(conditions)) {
    warnings.push('a Condition that is not an object is not evaluated');
    return 'unknown';
  }
  const unread: string[] = [];
  const matches: Match[] = [];
  for (const [written, block] of Object.entries(conditions)) {
    const parsed = parseOperator(written);
    if (parsed === undefined || !isRecord(block)) {
      unread.push(`condition operator ${written} is not evaluated`);
      matches.push('unknown');
      continue;
    }
    for (const [key, expected] of Object.entries(block)) {
      const expectedValues = (Array.isArray(expected) ? expected : [expected]).filter((value) =>
        ['string', 'number', 'boolean'].includes(typeof value),
      );
      if (
        expectedValues.length === 0 ||
        (Array.isArray(expected) && expectedValues.length !== expected.length)
      ) {
        unread.push(`condition ${written} on ${key} has a value that is not a string`);
        matches.push('unknown');
        continue;
      }
      const match = conditionMatch(parsed, key, expectedValues.map(String), context, variables);
      if (match === 'unknown')
        unread.push(`condition ${written} on ${key} uses a policy variable without a value`);
      matches.push(match);
    }
  }
  const outcome = allOf(matches);
  // Warnings only matter when they decided the outcome: a failing condition settles it anyway.
  if (outcome === 'unknown') warnings.push(...unread);
  return outcome;
}

interface LabelledStatement {
  readonly statement: PolicyStatement;
  readonly label: string;
  readonly variables: Variables;
}

function labelled(policies: readonly PolicyDocument[], context: Context): LabelledStatement[] {
  return policies.flatMap((policy, policyIndex) => {
    const statements: readonly PolicyStatement[] = Array.isArray(policy.Statement)
      ? policy.Statement
      : [policy.Statement as PolicyStatement];
    const variables: Variables = policy.Version === VARIABLES_VERSION ? { context } : null;
    return statements.map((statement, index) => ({
      statement,
      label: statement.Sid ?? `${policyIndex}.${index}`,
      variables,
    }));
  });
}

function actionMatch({ statement, label }: LabelledStatement, action: string, warnings: string[]): Match {
  const hasAction = statement.Action !== undefined;
  const hasNotAction = statement.NotAction !== undefined;
  if (hasAction === hasNotAction) {
    warnings.push(`statement ${label} needs exactly one of Action and NotAction`);
    return 'unknown';
  }
  const covered = anyMatch(asList(statement.Action ?? statement.NotAction), (pattern) =>
    patternMatch(pattern, action, true, null),
  );
  return hasAction ? covered : negate(covered);
}

function resourceMatch(
  { statement, label, variables }: LabelledStatement,
  resource: string,
  resourceOptional: boolean,
  warnings: string[],
): Match {
  const hasResource = statement.Resource !== undefined;
  const hasNotResource = statement.NotResource !== undefined;
  if (hasResource && hasNotResource) {
    warnings.push(`statement ${label} has both Resource and NotResource`);
    return 'unknown';
  }
  if (!hasResource && !hasNotResource) {
    // A resource policy's statement without Resource (a trust policy's) is about the resource it is attached to.
    if (resourceOptional) return 'match';
    warnings.push(`statement ${label} of an identity policy has no Resource`);
    return 'unknown';
  }
  const patterns = asList(statement.Resource ?? statement.NotResource);
  const covered = anyMatch(patterns, (pattern) => patternMatch(pattern, resource, false, variables));
  if (covered === 'unknown')
    warnings.push(`statement ${label} has a Resource with a policy variable without a value`);
  return hasResource ? covered : negate(covered);
}

function evaluateStatements(
  statements: readonly LabelledStatement[],
  request: IamRequest,
  options: {
    readonly resourceOptional: boolean;
    /** Whether a statement's Principal names the caller, or only the caller's account. */
    readonly principalMatch: (statement: PolicyStatement) => Match | 'account';
  },
): Evaluation {
  const warnings: string[] = [];
  let allowedBy: string | undefined;
  let delegatedBy: string | undefined;
  for (const entry of statements) {
    const { statement, label } = entry;
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
      warnings.push(`statement ${label} has an Effect that is neither Allow nor Deny`);
      continue;
    }
    const principal = options.principalMatch(statement);
    if (principal === 'no-match') continue;
    if (principal === 'unknown') warnings.push(`statement ${label} of a resource policy names no Principal`);
    const scope = allOf([
      principal === 'account' ? 'match' : principal,
      actionMatch(entry, request.action, warnings),
      resourceMatch(entry, request.resource, options.resourceOptional, warnings),
    ]);
    if (scope === 'no-match') continue;
    const match = allOf([
      scope,
      conditionsMatch(statement.Condition, request.context, entry.variables, warnings),
    ]);
    if (statement.Effect === 'Deny' && match !== 'no-match') {
      return { decision: 'explicit-deny', matchedBy: label, warnings };
    }
    if (statement.Effect === 'Allow' && match === 'match') {
      if (principal === 'account') delegatedBy ??= label;
      else allowedBy ??= label;
    }
  }
  return {
    ...(allowedBy === undefined
      ? { decision: 'implicit-deny' as const }
      : { decision: 'allow' as const, matchedBy: allowedBy }),
    ...(delegatedBy === undefined ? {} : { delegatedBy }),
    warnings,
  };
}

/** The decision of identity policies (a role's) on a request. Principal plays no part in them. */
export function evaluate(policies: readonly PolicyDocument[], request: IamRequest): Evaluation {
  return evaluateStatements(labelled(policies, request.context), request, {
    resourceOptional: false,
    principalMatch: () => 'match',
  });
}

interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly account: string;
  readonly resource: string;
}

function parseArn(arn: string): ParsedArn | undefined {
  const [, partition, service, , account, resource] = arnParts(arn) ?? [];
  return partition === undefined || service === undefined || account === undefined || resource === undefined
    ? undefined
    : { partition, service, account, resource };
}

const stringsOf = (value: unknown): readonly string[] =>
  (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');

/**
 * Whether a Principal names the caller (`match`), only the caller's account (`account`:
 * the account's own policies decide), or neither.
 */
function principalMatch(
  principal: unknown,
  caller: Omit<ResourcePolicyRequest, keyof IamRequest>,
): Match | 'account' {
  if (principal === '*') return 'match';
  if (!isRecord(principal)) return 'no-match';
  const awsNames = stringsOf(principal.AWS);
  // `{ "AWS": "*" }` means everyone, services included, as `"*"` does.
  if (awsNames.includes('*')) return 'match';
  if (
    caller.principalService !== undefined &&
    stringsOf(principal.Service).includes(caller.principalService)
  ) {
    return 'match';
  }
  if (caller.principalArn === undefined) return 'no-match';
  if (awsNames.includes(caller.principalArn)) return 'match';
  const arn = parseArn(caller.principalArn);
  if (arn === undefined) return 'no-match';
  if (awsNames.some((name) => sessionOfRole(arn, name))) return 'match';
  const root = `arn:${arn.partition}:iam::${arn.account}:root`;
  return awsNames.some((name) => name === arn.account || name === root) ? 'account' : 'no-match';
}

/** An assumed-role session (`sts::…:assumed-role/Name/session`) is named by its role's ARN, whatever its path. */
function sessionOfRole(session: ParsedArn, roleArn: string): boolean {
  const [kind, roleName] = session.resource.split('/');
  const role = parseArn(roleArn);
  return (
    session.service === 'sts' &&
    kind === 'assumed-role' &&
    role !== undefined &&
    role.service === 'iam' &&
    role.partition === session.partition &&
    role.account === session.account &&
    role.resource.startsWith('role/') &&
    role.resource.split('/').at(-1) === roleName
  );
}

/**
 * The decision of a resource policy on a request by a service or a principal. An Allow
 * that names only the caller's account is reported in `delegatedBy`, not as an allow;
 * a Deny that names the account applies to everyone in it.
 */
export function evaluateResourcePolicy(policy: PolicyDocument, request: ResourcePolicyRequest): Evaluation {
  return evaluateStatements(labelled([policy], request.context), request, {
    resourceOptional: true,
    principalMatch: (statement) => {
      if (statement.NotPrincipal !== undefined) {
        return principalMatch(statement.NotPrincipal, request) === 'no-match' ? 'match' : 'no-match';
      }
      if (statement.Principal === undefined) return 'unknown';
      return principalMatch(statement.Principal, request);
    },
  });
}

/** The resolved properties of an AWS::Lambda::Permission. */
export interface LambdaPermissionProperties {
  readonly Action: string;
  readonly FunctionName?: string;
  readonly Principal: string;
  readonly SourceArn?: string;
  readonly SourceAccount?: string;
  readonly PrincipalOrgID?: string;
  readonly FunctionUrlAuthType?: string;
  readonly EventSourceToken?: string;
}

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The statement Lambda adds to a function's resource policy for an AWS::Lambda::Permission,
 * as GetPolicy shows it: what counts towards the policy's 20 KB. Its Sid is the permission's
 * physical id (`physicalIdFor(logicalId, 'AWS::Lambda::Permission', stackName)`); without
 * `statementId` the statement has none, for callers that set their own.
 */
export function lambdaPermissionStatement(
  permission: LambdaPermissionProperties,
  functionArn: string,
  statementId?: string,
): PolicyStatement {
  const partition = parseArn(functionArn)?.partition ?? 'aws';
  const named = permission.Principal;
  const principal =
    named === '*'
      ? '*'
      : ACCOUNT_ID.test(named)
        ? { AWS: `arn:${partition}:iam::${named}:root` }
        : named.startsWith('arn:')
          ? { AWS: named }
          : { Service: named };
  const stringEquals: Record<string, string> = {
    ...(permission.SourceAccount === undefined ? {} : { 'AWS:SourceAccount': permission.SourceAccount }),
    ...(permission.PrincipalOrgID === undefined ? {} : { 'aws:PrincipalOrgID': permission.PrincipalOrgID }),
    ...(permission.FunctionUrlAuthType === undefined
      ? {}
      : { 'lambda:FunctionUrlAuthType': permission.FunctionUrlAuthType }),
    ...(permission.EventSourceToken === undefined
      ? {}
      : { 'lambda:EventSourceToken': permission.EventSourceToken }),
  };
  const condition = {
    ...(Object.keys(stringEquals).length === 0 ? {} : { StringEquals: stringEquals }),
    ...(permission.SourceArn === undefined ? {} : { ArnLike: { 'AWS:SourceArn': permission.SourceArn } }),
  };
  return {
    ...(statementId === undefined ? {} : { Sid: statementId }),
    Effect: 'Allow',
    Principal: principal,
    Action: permission.Action,
    Resource: functionArn,
    ...(Object.keys(condition).length === 0 ? {} : { Condition: condition }),
  };
}
