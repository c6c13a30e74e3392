import { AwsClient, AwsJsonClient, SCHEDULER, SQS } from '../../adapters/aws/json-protocol/aws-json-client';
import { createDocuments } from '../../adapters/dynamo/documents';
import { loadAwsEnvironment, loadFunctionConfig } from '../../config';
import { DEPLOYED_URL_POLICY } from '../../core/url-guard';
import { createDeliveryFunction } from './delivery-function';

/**
 * Lambda entry point of the delivery queue's event source mapping (SQS batches, partial
 * failures): signs and POSTs, records attempts, schedules retries, accepts operational
 * messages. The only function in the VPC, behind the NAT gateways' Elastic IPs.
 */
const environment = loadAwsEnvironment();

export const handler = createDeliveryFunction(
  loadFunctionConfig('delivery'),
  {
    doc: createDocuments({ environment }),
    sqs: new AwsJsonClient(SQS, { environment }),
    scheduler: new AwsClient(SCHEDULER, { environment }),
  },
  DEPLOYED_URL_POLICY,
);
