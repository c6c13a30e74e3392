import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as awslogs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HookpostFunction } from './hookpost-function';
import type { Storage } from './storage';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface ApiRoute {
  readonly method: Method;
  readonly path: string;
  /** Public routes skip the authorizer. */
  readonly public?: boolean;
  /** Routes whose body must be a JSON object; API Gateway refuses anything else before Lambda runs. */
  readonly jsonBody?: boolean;
}

/** Every route of the product specification (§2). The API function's router answers each. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1/health', public: true },
  { method: 'GET', path: '/v1/openapi.json', public: true },
  { method: 'GET', path: '/v1/egress-ips' },
  { method: 'POST', path: '/v1/apps', jsonBody: true },
  { method: 'GET', path: '/v1/apps' },
  { method: 'GET', path: '/v1/apps/{appId}' },
  { method: 'PATCH', path: '/v1/apps/{appId}', jsonBody: true },
  { method: 'DELETE', path: '/v1/apps/{appId}' },
  { method: 'POST', path: '/v1/apps/{appId}/keys' },
  { method: 'DELETE', path: '/v1/apps/{appId}/keys/{keyId}' },
  { method: 'POST', path: '/v1/event-types', jsonBody: true },
  { method: 'GET', path: '/v1/event-types' },
  { method: 'GET', path: '/v1/event-types/{name}' },
  { method: 'PATCH', path: '/v1/event-types/{name}', jsonBody: true },
  { method: 'DELETE', path: '/v1/event-types/{name}' },
  { method: 'POST', path: '/v1/apps/{appId}/endpoints', jsonBody: true },
  { method: 'GET', path: '/v1/apps/{appId}/endpoints' },
  { method: 'GET', path: '/v1/apps/{appId}/endpoints/{endpointId}' },
  { method: 'PATCH', path: '/v1/apps/{appId}/endpoints/{endpointId}', jsonBody: true },
  { method: 'DELETE', path: '/v1/apps/{appId}/endpoints/{endpointId}' },
  { method: 'GET', path: '/v1/apps/{appId}/endpoints/{endpointId}/secret' },
  { method: 'POST', path: '/v1/apps/{appId}/endpoints/{endpointId}/secret/rotate' },
  { method: 'POST', path: '/v1/apps/{appId}/endpoints/{endpointId}/test' },
  { method: 'POST', path: '/v1/apps/{appId}/endpoints/{endpointId}/recover', jsonBody: true },
  { method: 'GET', path: '/v1/apps/{appId}/endpoints/{endpointId}/attempts' },
  { method: 'GET', path: '/v1/apps/{appId}/endpoints/{endpointId}/stats' },
  { method: 'POST', path: '/v1/apps/{appId}/endpoints/{endpointId}/notifications/receive' },
  { method: 'DELETE', path: '/v1/apps/{appId}/endpoints/{endpointId}/notifications/{receiptId}' },
  { method: 'POST', path: '/v1/apps/{appId}/messages', jsonBody: true },
  { method: 'GET', path: '/v1/apps/{appId}/messages' },
  { method: 'POST', path: '/v1/apps/{appId}/messages/batch', jsonBody: true },
  { method: 'GET', path: '/v1/apps/{appId}/messages/{msgId}' },
  { method: 'GET', path: '/v1/apps/{appId}/messages/{msgId}/attempts' },
  { method: 'POST', path: '/v1/apps/{appId}/messages/{msgId}/endpoints/{endpointId}/resend' },
];

export interface ApiProps {
  readonly storage: Storage;
  readonly deliveryQueue: sqs.IQueue;
  readonly adminKey: secretsmanager.ISecret;
  /** Steady requests per second the stage accepts. */
  readonly throttlingRateLimit: number;
  /** Requests the stage accepts in a burst. */
  readonly throttlingBurstLimit: number;
  readonly logRetention: logs.RetentionDays;
  readonly environment: Readonly<Record<string, string>>;
}

/** The SPEC §2 error envelope for the answers API Gateway gives itself, before Lambda runs. */
const envelope = (code: string, message: string) => `{"error":{"code":"${code}","message":${message}}}`;

/**
 * The REST API: every route to the API function through the proxy integration, a TOKEN
 * authorizer on all but the public routes, body validation, stage throttling, access
 * logs, and API Gateway's own errors in Hookpost's error envelope.
 */
export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly apiFunction: HookpostFunction;
  readonly authorizerFunction: HookpostFunction;
  readonly accessLogs: awslogs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.apiFunction = new HookpostFunction(this, 'Handler', {
      entry: 'api',
      description: 'Hookpost: the REST API.',
      environment: props.environment,
      timeout: Duration.seconds(29),
      logRetention: props.logRetention,
    });
    const { catalogTable, messagesTable, deliveriesTable } = props.storage;
    for (const table of [catalogTable, messagesTable, deliveriesTable])
      this.apiFunction.grantTable(table, 'readWrite');
    // Manual resends and recovery put tasks on the delivery queue.
    props.deliveryQueue.grantSendMessages(this.apiFunction.function);

    this.authorizerFunction = new HookpostFunction(this, 'Authorizer', {
      entry: 'authorizer',
      description: 'Hookpost: checks bearer keys for API Gateway.',
      environment: props.environment,
      timeout: Duration.seconds(10),
      memorySize: 256,
      logRetention: props.logRetention,
    });
    props.adminKey.grantRead(this.authorizerFunction.function);
    const authorizer = new apigateway.TokenAuthorizer(this, 'KeyAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });

    this.accessLogs = new awslogs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'Hookpost webhook API',
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
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
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account role for writing execution logs; AWS maintains the policy for exactly that.",
    });

    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const jsonObject = this.restApi.addModel('JsonObject', {
      contentType: 'application/json',
      schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT },
    });
    const integration = new apigateway.LambdaIntegration(this.apiFunction.function, { proxy: true });
    for (const route of API_ROUTES) {
      const method = this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizer: route.public ? undefined : authorizer,
        authorizationType: route.public
          ? apigateway.AuthorizationType.NONE
          : apigateway.AuthorizationType.CUSTOM,
        requestValidator: validator,
        requestModels: route.jsonBody ? { 'application/json': jsonObject } : undefined,
      });
      if (route.public) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason: 'Public by design (SPEC §2): liveness checks and the API description need no key.',
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
