import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUTHORIZER_CACHE_SECONDS } from '../lambdas/contract/auth';
import { ROUTE_IDS, ROUTES } from '../lambdas/contract/routes';
import { API_FUNCTION_TIMEOUT_SECONDS, type LogLevel } from '../lambdas/contract/settings';
import { HookpostFunction } from './hookpost-function';
import type { Storage } from './storage';

export interface ApiProps {
  /** The REST API's name, unique in the account and region (its metrics are found by it). */
  readonly name: string;
  readonly storage: Storage;
  readonly adminKey: secretsmanager.ISecret;
  /** Steady requests per second the stage accepts. */
  readonly throttlingRateLimit: number;
  /** Requests the stage accepts in a burst. */
  readonly throttlingBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly retentionDays: number;
  readonly requireKnownEventTypes: boolean;
  /** The egress IPs (tokens resolved at deploy), which the API lists at GET /v1/egress-ips. */
  readonly egressIps: readonly string[];
  readonly logLevel: LogLevel;
  /**
   * Whether this stack sets the role API Gateway writes CloudWatch logs with. There is one
   * such setting per account and region, shared by every API there: a stack that sets it
   * replaces whatever another stack set. The role it creates is kept after `cdk destroy`,
   * so that other APIs go on logging.
   */
  readonly manageAccountCloudWatchRole: boolean;
}

/** Hookpost's error envelope for the answers API Gateway gives itself, before Lambda runs. */
const envelope = (code: string, message: string) =>
  `{"error":{"code":"${code}","message":${message},"details":null}}`;

/**
 * The REST API: every route of `lambdas/contract/routes.ts` to the API function through
 * the proxy integration, a TOKEN authorizer on all but the public routes, body
 * validation, stage throttling, access logs, and API Gateway's own errors in Hookpost's
 * error envelope.
 *
 * Explicit resources, generated from the route table, rather than one `{proxy+}` route:
 * API Gateway itself then refuses an unknown route, a body that is not a JSON object and a
 * missing key, without running (or billing) any function, and a route is public only by
 * being declared so. The price used to be one Lambda permission per method, which
 * outgrows Lambda's 20 KB resource-policy limit; with `scopePermissionToMethod: false`
 * the API function has one permission for this API (any stage, method and path of it).
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly apiFunction: HookpostFunction;
  readonly authorizerFunction: HookpostFunction;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { catalogTable, messagesTable, deliveriesTable } = props.storage;
    this.apiFunction = new HookpostFunction(this, 'Handler', {
      entry: 'api',
      description: 'Hookpost: the REST API.',
      timeout: Duration.seconds(API_FUNCTION_TIMEOUT_SECONDS),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    this.apiFunction.useTable('catalogTable', catalogTable, 'readWrite');
    this.apiFunction.useTable('messagesTable', messagesTable, 'readWrite');
    // UpdateItem for pull delivery: a poll endpoint's reader state, and a delivery marked pulled.
    this.apiFunction.useTable('deliveriesTable', deliveriesTable, 'readUpdate');
    this.apiFunction.setting('retentionDays', props.retentionDays);
    this.apiFunction.setting('requireKnownEventTypes', props.requireKnownEventTypes);
    this.apiFunction.setting('egressIps', props.egressIps);

    this.authorizerFunction = new HookpostFunction(this, 'Authorizer', {
      entry: 'authorizer',
      description: 'Hookpost: checks bearer keys for API Gateway.',
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
    });
    this.authorizerFunction.readsSecret('adminKeySecretArn', props.adminKey);
    // Application keys are read by id, one GetItem per authorizer call, and nothing else.
    this.authorizerFunction.useTable('catalogTable', catalogTable, 'getItem');
    const authorizer = new apigateway.TokenAuthorizer(this, 'KeyAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      // Together with the authorizer's own cache of the admin key, a rotated key is refused within 60 s.
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      // The deployment's own name: two deployments never share an API name, nor its metrics and alarms.
      restApiName: props.name,
      description: 'Hookpost webhook API',
      cloudWatchRole: props.manageAccountCloudWatchRole,
      cloudWatchRoleRemovalPolicy: props.manageAccountCloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Request and response bodies carry payloads and secrets: never into execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    this.addGatewayResponses();
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG4',
      reason: 'Callers are backends holding API keys, not users: a Lambda authorizer checks the bearer key.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason: 'WAF is left to the operator (it costs per rule); throttling and the authorizer guard the API.',
    });
    if (props.manageAccountCloudWatchRole) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account role for writing execution logs; AWS maintains the policy for exactly that.",
      });
    }

    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const jsonObject = this.restApi.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT },
    });
    const integration = new apigateway.LambdaIntegration(this.apiFunction.function, {
      proxy: true,
      scopePermissionToMethod: false,
    });
    for (const routeId of ROUTE_IDS) {
      const route = ROUTES[routeId];
      const isPublic = route.access === 'public';
      const method = this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizer: isPublic ? undefined : authorizer,
        authorizationType: isPublic ? apigateway.AuthorizationType.NONE : apigateway.AuthorizationType.CUSTOM,
        requestValidator: validator,
        requestModels: route.body === 'required' ? { 'application/json': jsonObject } : undefined,
      });
      if (isPublic) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason: 'Public by design: liveness checks need no key.',
        });
      }
    }
  }

  private addGatewayResponses(): void {
    const respond = (
      id: string,
      type: apigateway.ResponseType,
      statusCode: string | undefined,
      code: string,
      message: string,
    ) =>
      this.restApi.addGatewayResponse(id, {
        type,
        statusCode,
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: { 'application/json': envelope(code, message) },
      });
    respond(
      'Unauthorized',
      apigateway.ResponseType.UNAUTHORIZED,
      '401',
      'unauthorized',
      '"A valid bearer key is required."',
    );
    respond(
      'AccessDenied',
      apigateway.ResponseType.ACCESS_DENIED,
      '401',
      'unauthorized',
      '"A valid bearer key is required."',
    );
    // API Gateway answers an unknown route as a missing token; to callers it is an unknown route.
    respond(
      'UnknownRoute',
      apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      '404',
      'not_found',
      '"No such route."',
    );
    respond(
      'BadBody',
      apigateway.ResponseType.BAD_REQUEST_BODY,
      '400',
      'bad_request',
      '"The request body must be a JSON object."',
    );
    respond(
      'TooLarge',
      apigateway.ResponseType.REQUEST_TOO_LARGE,
      '413',
      'payload_too_large',
      '"The request is too large."',
    );
    respond(
      'Throttled',
      apigateway.ResponseType.THROTTLED,
      '429',
      'throttled',
      '"Too many requests; slow down and retry."',
    );
    // Any other answer of API Gateway's own keeps its status and takes the envelope.
    respond(
      'Default4xx',
      apigateway.ResponseType.DEFAULT_4XX,
      undefined,
      'bad_request',
      '$context.error.messageString',
    );
    respond(
      'Default5xx',
      apigateway.ResponseType.DEFAULT_5XX,
      undefined,
      'internal_error',
      '$context.error.messageString',
    );
  }
}
