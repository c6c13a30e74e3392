import type { FunctionName } from '../../lambdas/contract/settings';
import { FUNCTION_METADATA_KEY } from '../../lib/hookpost-function';

/** Helpers that read a synthesized CloudFormation template the way the tests need it. */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are read field by field
export type Properties = Record<string, any>;

export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Properties;
  readonly Metadata?: Properties;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | string[];
}

export interface TemplateJson {
  readonly Resources: Readonly<Record<string, TemplateResource>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Description?: string }>>;
}

export interface FunctionResource extends TemplateResource {
  readonly logicalId: string;
}

/** Hookpost's functions by entry point, as `lib/hookpost-function.ts` marks them in the template. */
export function functionsByEntry(template: TemplateJson): Partial<Record<FunctionName, FunctionResource>> {
  const found: Partial<Record<FunctionName, FunctionResource>> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const entry = resource.Metadata?.[FUNCTION_METADATA_KEY] as FunctionName | undefined;
    if (resource.Type === 'AWS::Lambda::Function' && entry !== undefined)
      found[entry] = { logicalId, ...resource };
  }
  return found;
}

export interface DeployedRoute {
  readonly logicalId: string;
  readonly method: string;
  /** The full path with `{name}` placeholders, e.g. `/v1/apps/{appId}`. */
  readonly path: string;
  readonly authorizationType: string;
  readonly authorizerId: string | undefined;
  /** Whether API Gateway checks that the body is a JSON object before the function runs. */
  readonly validatesJsonObjectBody: boolean;
  readonly integrationFunctionId: string | undefined;
}

/** Every API Gateway method of the template, with its full path rebuilt from the resource tree. */
export function deployedRoutes(template: TemplateJson): DeployedRoute[] {
  const resources = template.Resources;
  const pathOf = (reference: Properties): string => {
    if (reference['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const id = reference.Ref as string;
    const resource = resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') throw new Error(`No API Gateway resource ${id}`);
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Method')
    .map(([logicalId, { Properties: method }]) => ({
      logicalId,
      method: method.HttpMethod,
      path: pathOf(method.ResourceId) || '/',
      authorizationType: method.AuthorizationType,
      authorizerId: method.AuthorizerId?.Ref,
      validatesJsonObjectBody: method.RequestModels?.['application/json'] !== undefined,
      integrationFunctionId: JSON.stringify(method.Integration?.Uri ?? '').match(
        /"Fn::GetAtt":\["([^"]+)","Arn"\]/,
      )?.[1],
    }));
}
