import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../../adapters/dynamo/client';
import { loadFunctionConfig } from '../../config';
import { DEPLOYED_URL_POLICY } from '../../core/url-guard';
import { createDeliveryFunction } from './delivery-function';

/**
 * Lambda entry point of the delivery queue's event source mapping (SQS batches, partial
 * failures): signs and POSTs, records attempts, schedules retries, accepts operational
 * messages. The only function in the VPC, behind the NAT gateways' Elastic IPs.
 */
export const handler = createDeliveryFunction(
  loadFunctionConfig('delivery'),
  { doc: createDocumentClient().doc, sqs: new SQSClient({}), scheduler: new SchedulerClient({}) },
  DEPLOYED_URL_POLICY,
);
