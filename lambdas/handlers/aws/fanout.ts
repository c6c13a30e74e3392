import { loadAwsConfig } from '../../config';
import { createFanOutHandler } from '../fanout';
import { createAwsRuntime } from './runtime';

/** Lambda entry point of the messages table's stream (INSERT records, NEW_IMAGE). */
const runtime = createAwsRuntime(loadAwsConfig());

export const handler = createFanOutHandler({ fanOut: runtime.services.fanOut, logger: runtime.logger });
