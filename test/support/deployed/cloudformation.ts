/**
 * Resolving a CloudFormation template's intrinsic functions as CloudFormation would at
 * deploy time, given the physical ids of the resources. Anything it cannot resolve (an
 * unknown function, a reference to a resource or attribute it was not given) throws with
 * the path where it occurred, rather than leave a placeholder behind.
 */

export interface ResolvedResource {
  /** What `Ref` answers. */
  readonly ref: string;
  /** What `Fn::GetAtt` answers, by attribute name. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface PseudoParameters {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly urlSuffix: string;
}

export interface ResolvableTemplate {
  readonly Resources: Readonly<Record<string, unknown>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

/** Marks a value `AWS::NoValue` removes from its object or list. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateResolver {
  constructor(
    private readonly options: {
      readonly template: ResolvableTemplate;
      readonly pseudo: PseudoParameters;
      readonly physical: ReadonlyMap<string, ResolvedResource>;
      readonly availabilityZones?: readonly string[];
    },
  ) {}

  resolve(value: unknown): unknown {
    const resolved = this.walk(value, '');
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private walk(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, index) => this.walk(item, `${path}[${index}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (
      entries.length === 1 &&
      first !== undefined &&
      (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')
    ) {
      return this.intrinsic(first[0], first[1], `${path}.${first[0]}`);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.walk(item, `${path}.${key}`);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private intrinsic(name: string, argument: unknown, path: string): unknown {
    const fail = (reason: string): never => {
      throw new Error(`Cannot resolve ${name} at ${path || '(root)'}: ${reason}`);
    };
    const text = (value: unknown) => {
      const resolved = this.walk(value, path);
      if (typeof resolved !== 'string' && typeof resolved !== 'number')
        fail(`${JSON.stringify(resolved)} is not a string`);
      return String(resolved);
    };
    switch (name) {
      case 'Ref':
        return this.ref(String(argument), fail);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument)
          ? [String(argument[0]), String(this.walk(argument[1], path))]
          : [
              String(argument).slice(0, String(argument).indexOf('.')),
              String(argument).slice(String(argument).indexOf('.') + 1),
            ];
        const resource = this.options.physical.get(id) ?? fail(`no resource ${id}`);
        return resource.attributes[attribute] ?? fail(`no attribute ${attribute} of ${id}`);
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        const list = this.walk(items, path);
        if (!Array.isArray(list)) fail('the second argument is not a list');
        return (list as unknown[])
          .map((item) =>
            typeof item === 'string' || typeof item === 'number'
              ? String(item)
              : fail(`${JSON.stringify(item)} is not a string`),
          )
          .join(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(argument)
          ? [String(argument[0]), argument[1] as Record<string, unknown>]
          : [String(argument), {}];
        return template.replace(/\$\{([^}]+)\}/g, (_, expression: string) => {
          if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
          if (expression in variables) return text(variables[expression]);
          if (expression.includes('.') && !expression.startsWith('AWS::')) {
            return String(this.intrinsic('Fn::GetAtt', expression, path));
          }
          return String(this.ref(expression, fail));
        });
      }
      case 'Fn::Select': {
        const [index, items] = argument as [unknown, unknown];
        const list = this.walk(items, path);
        if (!Array.isArray(list)) fail('the second argument is not a list');
        const position = Number(this.walk(index, path));
        return (
          (list as unknown[])[position] ??
          fail(`no item ${position} in a list of ${(list as unknown[]).length}`)
        );
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return text(source).split(separator);
      }
      case 'Fn::GetAZs':
        return (
          this.options.availabilityZones ??
          ['a', 'b', 'c'].map((zone) => `${this.options.pseudo.region}${zone}`)
        );
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.walk(this.condition(condition, fail) ? whenTrue : whenFalse, path);
      }
      case 'Fn::Equals': {
        const [left, right] = argument as [unknown, unknown];
        return JSON.stringify(this.walk(left, path)) === JSON.stringify(this.walk(right, path));
      }
      case 'Fn::And':
        return (argument as unknown[]).every((item) => this.walk(item, path) === true);
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => this.walk(item, path) === true);
      case 'Fn::Not':
        return this.walk((argument as unknown[])[0], path) !== true;
      case 'Condition':
        return this.condition(String(argument), fail);
      case 'Fn::FindInMap': {
        const [map, top, second] = (argument as unknown[]).map((item) => text(item));
        const value = this.options.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
        return value === undefined ? fail(`no ${map}.${top}.${second}`) : this.walk(value, path);
      }
      case 'Fn::Base64':
        return Buffer.from(text(argument), 'utf8').toString('base64');
      default:
        return fail('this function is not emulated here');
    }
  }

  private ref(name: string, fail: (reason: string) => never): unknown {
    const { pseudo } = this.options;
    const pseudoValues: Record<string, unknown> = {
      'AWS::Region': pseudo.region,
      'AWS::AccountId': pseudo.accountId,
      'AWS::Partition': pseudo.partition,
      'AWS::StackName': pseudo.stackName,
      'AWS::StackId': pseudo.stackId,
      'AWS::URLSuffix': pseudo.urlSuffix,
      'AWS::NoValue': NO_VALUE,
    };
    if (name in pseudoValues) return pseudoValues[name];
    const parameter = this.options.template.Parameters?.[name];
    if (parameter !== undefined) return parameter.Default ?? fail(`parameter ${name} has no default`);
    return this.options.physical.get(name)?.ref ?? fail(`no resource ${name}`);
  }

  private condition(name: string, fail: (reason: string) => never): boolean {
    const definition = this.options.template.Conditions?.[name] ?? fail(`no condition ${name}`);
    return this.walk(definition, `Conditions.${name}`) === true;
  }
}
