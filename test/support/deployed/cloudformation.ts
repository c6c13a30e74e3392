import { createHash } from 'node:crypto';

/**
 * Resolving a CloudFormation template's intrinsic functions as CloudFormation would at
 * deploy time, given the physical ids of the resources. Anything it cannot resolve (an
 * unknown function, a reference to a resource or attribute it was not given, a parameter
 * whose value only SSM knows) throws with the path where it occurred, rather than leave a
 * placeholder behind: a placeholder would reach a function's environment and fail there,
 * far from its cause.
 */

/** A part of a template as it is written: read field by field, each field checked where it is used. */
export type TemplateRecord = Readonly<Record<string, unknown>>;

export interface Resource {
  readonly Type: string;
  /** Absent for resources that take every default (an internet gateway, say). */
  readonly Properties?: TemplateRecord;
  readonly DependsOn?: string | readonly string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  /** The name of a condition: the resource exists only when it holds. */
  readonly Condition?: string;
  readonly Metadata?: TemplateRecord;
}

export interface TemplateParameter {
  readonly Type?: string;
  readonly Default?: unknown;
  readonly Description?: string;
}

export interface TemplateOutput {
  readonly Value: unknown;
  readonly Description?: string;
  readonly Condition?: string;
  readonly Export?: unknown;
}

export interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Outputs?: Readonly<Record<string, TemplateOutput>>;
  readonly Conditions?: TemplateRecord;
  readonly Parameters?: Readonly<Record<string, TemplateParameter>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, TemplateRecord>>>>;
}

export interface ResolvedResource {
  /** What `Ref` answers. */
  readonly ref: string;
  /** What `Fn::GetAtt` answers, by attribute name (`Arn`, `Endpoint.Address`, …). */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly urlSuffix: string;
}

export interface TemplateResolverOptions {
  readonly template: Template;
  readonly pseudo: PseudoParameters;
  /** The physical id and attributes of each resource, by logical id. */
  readonly physical: ReadonlyMap<string, ResolvedResource>;
  /** What `Fn::GetAZs` answers for the stack's region. @default the region followed by a, b and c */
  readonly availabilityZones?: readonly string[];
}

/** A value the template asks for and this resolver cannot give: never answered with a placeholder. */
export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';

  constructor(
    /** The function (`Fn::Sub`, `Ref`, …) that could not be resolved. */
    readonly intrinsic: string,
    /** Where it occurred in the value being resolved, e.g. `.Environment.Variables.QUEUE_URL.Ref`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot resolve ${intrinsic} at ${path || '(root)'}: ${reason}`);
  }
}

/** Marks a value `AWS::NoValue` removes from its object or list. */
const NO_VALUE = Symbol('AWS::NoValue');

type Fail = (reason: string) => never;

const isRecord = (value: unknown): value is TemplateRecord =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `record[key]`, but never a property inherited from Object (`constructor`, `toString`). */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

const shown = (value: unknown): string =>
  value === NO_VALUE ? 'AWS::NoValue' : value === undefined ? 'nothing' : JSON.stringify(value);

/** An object is a function call when its only key names one. `Condition` only with a name, as in Conditions. */
function intrinsicOf(value: TemplateRecord): { name: string; argument: unknown } | undefined {
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length !== 1 || first === undefined) return undefined;
  const [name, argument] = first;
  const isIntrinsic =
    name === 'Ref' || name.startsWith('Fn::') || (name === 'Condition' && typeof argument === 'string');
  return isIntrinsic ? { name, argument } : undefined;
}

/** CloudFormation lets `Fn::And` and `Fn::Or` combine 2 to 10 conditions. */
const MIN_COMBINED_CONDITIONS = 2;
const MAX_COMBINED_CONDITIONS = 10;

export class TemplateResolver {
  private readonly conditionValues = new Map<string, boolean>();
  /** Conditions being evaluated, so that one that refers to itself fails instead of recursing forever. */
  private readonly conditionsInProgress = new Set<string>();

  constructor(private readonly options: TemplateResolverOptions) {}

  /**
   * `value` with every intrinsic function replaced by its value and every `AWS::NoValue`
   * removed. `path` names where `value` sits in the template, for error messages.
   */
  resolve(value: unknown, path = ''): unknown {
    const resolved = this.walk(value, path);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Whether a condition of the template holds: whether the resources and outputs it guards exist. */
  conditionHolds(name: string): boolean {
    const fail: Fail = (reason) => {
      throw new TemplateResolutionError('Condition', `Conditions.${name}`, reason);
    };
    return this.condition(name, fail);
  }

  private walk(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, index) => this.walk(item, `${path}[${index}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const intrinsic = intrinsicOf(value);
    if (intrinsic !== undefined) {
      return this.intrinsic(intrinsic.name, intrinsic.argument, `${path}.${intrinsic.name}`);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.walk(item, `${path}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, argument: unknown, path: string): unknown {
    const fail: Fail = (reason) => {
      throw new TemplateResolutionError(name, path, reason);
    };
    const text = (value: unknown, at: string): string => {
      const resolved = this.walk(value, at);
      if (typeof resolved === 'string') return resolved;
      if (typeof resolved === 'number') return String(resolved);
      return fail(`${shown(resolved)} is not a string`);
    };
    const list = (value: unknown, at: string): unknown[] => {
      const resolved = this.walk(value, at);
      return Array.isArray(resolved) ? resolved : fail(`${shown(resolved)} is not a list`);
    };
    const argumentsOf = (count: number, shape: string): unknown[] =>
      Array.isArray(argument) && argument.length === count ? argument : fail(`expects ${shape}`);

    switch (name) {
      case 'Ref':
        return typeof argument === 'string' ? this.ref(argument, fail) : fail('expects a logical id');
      case 'Fn::GetAtt':
        return this.getAtt(argument, path, fail, text);
      case 'Fn::Join': {
        const [separator, items] = argumentsOf(2, '[separator, [values]]');
        if (typeof separator !== 'string') return fail('the separator is not a string');
        return list(items, `${path}[1]`)
          .map((item) =>
            typeof item === 'string' || typeof item === 'number'
              ? String(item)
              : fail(`${shown(item)} is not a string`),
          )
          .join(separator);
      }
      case 'Fn::Sub':
        return this.sub(argument, path, fail, text);
      case 'Fn::Select': {
        const [index, items] = argumentsOf(2, '[index, [values]]');
        const written = text(index, `${path}[0]`);
        const position = written.trim() === '' ? Number.NaN : Number(written);
        const values = list(items, `${path}[1]`);
        if (!Number.isInteger(position) || position < 0 || position >= values.length) {
          return fail(`no item ${position} in a list of ${values.length}`);
        }
        return values[position];
      }
      case 'Fn::Split': {
        const [separator, source] = argumentsOf(2, '[separator, string]');
        if (typeof separator !== 'string' || separator === '') return fail('the separator is not a string');
        return text(source, `${path}[1]`).split(separator);
      }
      case 'Fn::GetAZs': {
        const { region } = this.options.pseudo;
        const asked = text(argument, path);
        if (asked !== '' && asked !== region)
          return fail(`the zones of ${asked} are unknown, only ${region}'s`);
        return [...(this.options.availabilityZones ?? ['a', 'b', 'c'].map((zone) => `${region}${zone}`))];
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argumentsOf(3, '[condition, value if true, value if false]');
        if (typeof condition !== 'string') return fail('the condition is not a name');
        return this.condition(condition, fail)
          ? this.walk(whenTrue, `${path}[1]`)
          : this.walk(whenFalse, `${path}[2]`);
      }
      case 'Fn::Equals': {
        const [left, right] = argumentsOf(2, '[value, value]').map((item, index) =>
          this.walk(item, `${path}[${index}]`),
        );
        return sameValue(left, right);
      }
      case 'Fn::And':
      case 'Fn::Or': {
        const operands = Array.isArray(argument) ? argument : [];
        if (operands.length < MIN_COMBINED_CONDITIONS || operands.length > MAX_COMBINED_CONDITIONS) {
          return fail(`expects ${MIN_COMBINED_CONDITIONS} to ${MAX_COMBINED_CONDITIONS} conditions`);
        }
        // Every operand is evaluated, as CloudFormation validates them all.
        const values = operands.map((operand, index) => this.booleanOf(operand, `${path}[${index}]`, fail));
        return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
      }
      case 'Fn::Not': {
        const [operand] = argumentsOf(1, '[condition]');
        return !this.booleanOf(operand, `${path}[0]`, fail);
      }
      case 'Condition':
        return this.condition(String(argument), fail);
      case 'Fn::FindInMap':
        return this.findInMap(argument, path, fail, text);
      case 'Fn::Base64':
        return Buffer.from(text(argument, path), 'utf8').toString('base64');
      default:
        return fail('this function is not emulated here');
    }
  }

  private getAtt(argument: unknown, path: string, fail: Fail, text: (value: unknown, at: string) => string) {
    let logicalId: string;
    let attribute: string;
    if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
      logicalId = argument[0];
      attribute = text(argument[1], `${path}[1]`);
    } else if (typeof argument === 'string' && argument.includes('.')) {
      // Logical ids are alphanumeric, so the first dot ends the id; attributes may hold more (`Endpoint.Address`).
      const dot = argument.indexOf('.');
      logicalId = argument.slice(0, dot);
      attribute = argument.slice(dot + 1);
    } else {
      return fail('expects [logicalId, attribute] or "logicalId.attribute"');
    }
    const resource = this.options.physical.get(logicalId) ?? fail(this.missingResource(logicalId));
    const value = own(resource.attributes, attribute);
    if (value === undefined) {
      const known = Object.keys(resource.attributes).join(', ') || 'none';
      return fail(`no attribute ${attribute} of ${logicalId} (known: ${known})`);
    }
    return typeof value === 'string' ? value : [...value];
  }

  private sub(argument: unknown, path: string, fail: Fail, text: (value: unknown, at: string) => string) {
    let source: string;
    let variables: TemplateRecord = {};
    if (typeof argument === 'string') {
      source = argument;
    } else if (
      Array.isArray(argument) &&
      argument.length === 2 &&
      typeof argument[0] === 'string' &&
      isRecord(argument[1])
    ) {
      [source, variables] = [argument[0], argument[1]];
    } else {
      return fail('expects a string or [string, { name: value }]');
    }
    return source.replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
      // `${!Name}` is how a template writes a literal `${Name}`.
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (Object.hasOwn(variables, expression))
        return text(variables[expression], `${path}[1].${expression}`);
      const isAttribute = expression.includes('.') && !expression.startsWith('AWS::');
      return text(isAttribute ? { 'Fn::GetAtt': expression } : { Ref: expression }, path);
    });
  }

  private findInMap(
    argument: unknown,
    path: string,
    fail: Fail,
    text: (value: unknown, at: string) => string,
  ) {
    if (!Array.isArray(argument) || argument.length < 3 || argument.length > 4) {
      return fail('expects [map, top-level key, second-level key] and an optional { DefaultValue }');
    }
    const [map, top, second] = argument.slice(0, 3).map((item, index) => text(item, `${path}[${index}]`));
    const value = own(own(own(this.options.template.Mappings, map ?? ''), top ?? ''), second ?? '');
    if (value !== undefined) return this.walk(value, `Mappings.${map}.${top}.${second}`);
    // A fourth argument (AWS::LanguageExtensions) gives the value of a missing entry.
    const fallback: unknown = argument[3];
    if (isRecord(fallback) && Object.hasOwn(fallback, 'DefaultValue')) {
      return this.walk(fallback.DefaultValue, `${path}[3].DefaultValue`);
    }
    return fail(`no ${map}.${top}.${second} in Mappings`);
  }

  private ref(name: string, fail: Fail): unknown {
    const pseudo = this.pseudoParameter(name);
    if (pseudo !== undefined) return pseudo;
    const parameter = own(this.options.template.Parameters, name);
    if (parameter !== undefined) return parameterValue(name, parameter, fail);
    return this.options.physical.get(name)?.ref ?? fail(this.missingResource(name));
  }

  private pseudoParameter(name: string): unknown {
    const { pseudo } = this.options;
    switch (name) {
      case 'AWS::Region':
        return pseudo.region;
      case 'AWS::AccountId':
        return pseudo.accountId;
      case 'AWS::Partition':
        return pseudo.partition;
      case 'AWS::StackName':
        return pseudo.stackName;
      case 'AWS::StackId':
        return pseudo.stackId;
      case 'AWS::URLSuffix':
        return pseudo.urlSuffix;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private missingResource(logicalId: string): string {
    const declared = own(this.options.template.Resources, logicalId);
    return declared === undefined
      ? `no resource ${logicalId}`
      : `no physical id was given for resource ${logicalId} (${declared.Type})`;
  }

  private booleanOf(operand: unknown, path: string, fail: Fail): boolean {
    const value = this.walk(operand, path);
    return typeof value === 'boolean' ? value : fail(`${shown(value)} at ${path} is not a condition`);
  }

  private condition(name: string, fail: Fail): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const definition = own(this.options.template.Conditions, name);
    if (definition === undefined) return fail(`no condition ${name}`);
    if (this.conditionsInProgress.has(name)) return fail(`condition ${name} depends on itself`);
    this.conditionsInProgress.add(name);
    try {
      const value = this.booleanOf(definition, `Conditions.${name}`, fail);
      this.conditionValues.set(name, value);
      return value;
    } finally {
      this.conditionsInProgress.delete(name);
    }
  }
}

/** `Fn::Equals` compares what the values print as: `'3'` equals `3`, `'true'` equals `true`. */
function sameValue(left: unknown, right: unknown): boolean {
  const scalar = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);
  return scalar(left) && scalar(right)
    ? String(left) === String(right)
    : JSON.stringify(left) === JSON.stringify(right);
}

/** A parameter's value when the stack is deployed without overrides: its default, as its type reads it. */
function parameterValue(name: string, parameter: TemplateParameter, fail: Fail): unknown {
  const type = parameter.Type ?? 'String';
  // The default of an SSM parameter type names the SSM parameter; its value is only known in the account.
  if (type.startsWith('AWS::SSM::Parameter::Value<')) {
    return fail(`parameter ${name} is read from SSM (${shown(parameter.Default)}) at deploy time`);
  }
  if (parameter.Default === undefined) return fail(`parameter ${name} has no default`);
  const value = Array.isArray(parameter.Default) ? parameter.Default.join(',') : String(parameter.Default);
  return type === 'CommaDelimitedList' || type.startsWith('List<') ? value.split(',') : value;
}

/** Resources of one type, with their logical ids, in template order. */
export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The resource of a logical id; a missing one fails with the ids it may have meant (CDK appends hashes). */
export function findResource(template: Template, logicalId: string): Resource {
  const resource = own(template.Resources, logicalId);
  if (resource !== undefined) return resource;
  const MAX_SUGGESTIONS = 5;
  const similar = Object.keys(template.Resources)
    .filter((id) => id.startsWith(logicalId) || logicalId.startsWith(id))
    .slice(0, MAX_SUGGESTIONS);
  const hint = similar.length === 0 ? '' : `; did you mean ${similar.join(', ')}?`;
  throw new Error(`No resource ${logicalId} in the template${hint}`);
}

interface NameRule {
  readonly maxLength: number;
  /** Characters the service refuses in a name: dropped from the stack name and the logical id. */
  readonly refused: RegExp;
  /** S3 buckets and ECR repositories take lowercase names only. */
  readonly lowercase?: boolean;
}

/** Name limits of the resources CloudFormation names itself when the template gives no name. */
const NAME_RULES: Readonly<Record<string, NameRule>> = {
  'AWS::DynamoDB::Table': { maxLength: 255, refused: /[^A-Za-z0-9_.-]/g },
  'AWS::SQS::Queue': { maxLength: 80, refused: /[^A-Za-z0-9_-]/g },
  'AWS::SNS::Topic': { maxLength: 256, refused: /[^A-Za-z0-9_-]/g },
  'AWS::Lambda::Function': { maxLength: 64, refused: /[^A-Za-z0-9_-]/g },
  // A permission's physical id is the Sid of its statement in the function's policy.
  'AWS::Lambda::Permission': { maxLength: 100, refused: /[^A-Za-z0-9_.-]/g },
  'AWS::IAM::Role': { maxLength: 64, refused: /[^\w+=,.@-]/g },
  'AWS::IAM::Policy': { maxLength: 128, refused: /[^\w+=,.@-]/g },
  'AWS::IAM::ManagedPolicy': { maxLength: 128, refused: /[^\w+=,.@-]/g },
  'AWS::Logs::LogGroup': { maxLength: 512, refused: /[^\w.\-/#]/g },
  'AWS::S3::Bucket': { maxLength: 63, refused: /[^a-z0-9.-]/g, lowercase: true },
  'AWS::ECR::Repository': { maxLength: 256, refused: /[^a-z0-9._/-]/g, lowercase: true },
  'AWS::Scheduler::ScheduleGroup': { maxLength: 64, refused: /[^\w.-]/g },
  'AWS::Scheduler::Schedule': { maxLength: 64, refused: /[^\w.-]/g },
  'AWS::Events::Rule': { maxLength: 64, refused: /[^\w.-]/g },
  'AWS::Events::EventBus': { maxLength: 256, refused: /[^\w./-]/g },
  'AWS::StepFunctions::StateMachine': { maxLength: 80, refused: /[^\w-]/g },
  'AWS::CloudWatch::Alarm': { maxLength: 255, refused: /[^\w.-]/g },
  'AWS::SecretsManager::Secret': { maxLength: 512, refused: /[^\w/+=.@-]/g },
};

const DEFAULT_NAME_RULE: NameRule = { maxLength: 255, refused: /[^A-Za-z0-9_-]/g };

/** CloudFormation's generated names end in `-` and this many random characters. */
const NAME_SUFFIX_LENGTH = 12;
const UPPERCASE_ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWERCASE_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

const charactersFrom = (digest: Buffer, alphabet: string, length: number): string =>
  [...digest.subarray(0, length)].map((byte) => alphabet.charAt(byte % alphabet.length)).join('');

const ec2Id = (prefix: string) => (digest: Buffer) => `${prefix}-${digest.toString('hex').slice(0, 17)}`;

/** Resources whose physical id is an id the service generates, not a name. */
const GENERATED_IDS: Readonly<Record<string, (digest: Buffer) => string>> = {
  'AWS::KMS::Key': (digest) => {
    const hex = digest.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  },
  'AWS::ApiGateway::RestApi': (digest) => charactersFrom(digest, LOWERCASE_ALPHANUMERIC, 10),
  'AWS::ApiGateway::Resource': (digest) => charactersFrom(digest, LOWERCASE_ALPHANUMERIC, 6),
  'AWS::ApiGateway::Deployment': (digest) => charactersFrom(digest, LOWERCASE_ALPHANUMERIC, 6),
  'AWS::ApiGateway::Authorizer': (digest) => charactersFrom(digest, LOWERCASE_ALPHANUMERIC, 6),
  'AWS::ApiGateway::RequestValidator': (digest) => charactersFrom(digest, LOWERCASE_ALPHANUMERIC, 6),
  'AWS::EC2::VPC': ec2Id('vpc'),
  'AWS::EC2::Subnet': ec2Id('subnet'),
  'AWS::EC2::SecurityGroup': ec2Id('sg'),
  'AWS::EC2::RouteTable': ec2Id('rtb'),
  'AWS::EC2::InternetGateway': ec2Id('igw'),
  'AWS::EC2::NatGateway': ec2Id('nat'),
  'AWS::EC2::VPCEndpoint': ec2Id('vpce'),
  'AWS::EC2::FlowLog': ec2Id('fl'),
};

/** A FIFO queue's or topic's name must end in this, within the length limit. */
const FIFO_SUFFIX = '.fifo';

/**
 * The physical id CloudFormation gives a resource the template does not name:
 * `${stackName}-${logicalId}-${12 random characters}`, the stack name and logical id cut so
 * the whole fits the service's limit, or an id in the service's own format (a KMS key's
 * UUID, `vpc-…`, an API's 10 characters). The random part comes from a hash of the stack
 * name and logical id, so the same stack gets the same names on every run.
 */
export function physicalIdFor(
  logicalId: string,
  type: string,
  stackName: string,
  options: { readonly fifo?: boolean } = {},
): string {
  const digest = createHash('sha256').update(`${stackName}\0${logicalId}`).digest();
  const generated = own(GENERATED_IDS, type);
  if (generated !== undefined) return generated(digest);

  const rule = own(NAME_RULES, type) ?? DEFAULT_NAME_RULE;
  const clean = (part: string) => (rule.lowercase ? part.toLowerCase() : part).replace(rule.refused, '');
  const suffix = charactersFrom(
    digest,
    rule.lowercase ? LOWERCASE_ALPHANUMERIC : UPPERCASE_ALPHANUMERIC,
    NAME_SUFFIX_LENGTH,
  );
  const ending = options.fifo ? FIFO_SUFFIX : '';
  const separators = 2;
  const budget = rule.maxLength - NAME_SUFFIX_LENGTH - separators - ending.length;

  let stackPart = clean(stackName);
  let idPart = clean(logicalId);
  if (stackPart.length + idPart.length > budget) {
    // Neither part takes more than half the room unless the other leaves some unused.
    const stackShare = Math.max(Math.floor(budget / 2), budget - idPart.length);
    stackPart = stackPart.slice(0, stackShare);
    idPart = idPart.slice(0, budget - stackPart.length);
  }
  return `${stackPart}-${idPart}-${suffix}${ending}`;
}
