import { loadAwsConfig } from '../../config';
import { createDeliveryHandler } from '../delivery';
import { createAwsRuntime } from './runtime';

/** Lambda entry point of the delivery queue's event source mapping (SQS batches, partial failures). */
const runtime = createAwsRuntime(loadAwsConfig());

export const handler = createDeliveryHandler({ delivery: runtime.services.delivery, logger: runtime.logger });
