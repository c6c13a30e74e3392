import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDeliveryStore } from '../lambdas/adapters/dynamo/delivery-store';
import { SdkDocuments } from '../lambdas/adapters/dynamo/sdk-documents';
import { SETTING_DEFAULTS } from '../lambdas/contract/settings';

/**
 * `npm run upgrade:failure-markers -- --table <deliveries table> [--retention-days 30] [--region …]`:
 * once, after deploying the first Hookpost that keeps failure markers over a deployment
 * that ran before it, with the operator's own AWS credentials. A recovery finds an
 * endpoint's failed deliveries by their markers (README, "Test sends, resends and
 * recovery"); this gives every delivery that failed before the upgrade its marker, so that
 * a recovery finds it too. Safe to run again, and while Hookpost runs. Local mode does the
 * same by itself when it starts on an older data directory.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      'retention-days': { type: 'string', default: String(SETTING_DEFAULTS.retentionDays) },
      region: { type: 'string' },
    },
  });
  if (values.table === undefined) {
    throw new Error(
      'Give --table: the name of the stack’s deliveries table (the Storage construct’s Deliveries table).',
    );
  }
  const retentionDays = Number(values['retention-days']);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new Error('Give --retention-days as the stack’s retentionDays setting, a whole number of days.');
  }
  // The SDK's client, with its whole credential chain: this runs on an operator's machine.
  const client = new DynamoDBClient(values.region === undefined ? {} : { region: values.region });
  const doc = new SdkDocuments(client);
  try {
    const marked = await new DynamoDeliveryStore(doc, values.table, { retentionDays }).markPastFailures();
    console.log(`${marked} failed deliveries of ${values.table} carry their failure marker.`);
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`upgrade failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
