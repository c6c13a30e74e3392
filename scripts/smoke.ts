import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { findDeployment, passed, runSmoke } from './smoke-check';

/**
 * `npm run smoke -- --stack <name> --receiver-url https://…`: checks a live deployment end
 * to end with the operator's own AWS credentials. It reads the stack's outputs and the
 * admin key, checks health, creates a throw-away application with an endpoint at the URL
 * given, sends one message, waits for its delivery and prints every attempt, then deletes
 * the application (the event type `hookpost.smoke` stays in the catalogue). When the
 * receiver's answer shows the request's headers (an echoing receiver), it checks their
 * signature with the endpoint's secret. Exit code 0 when the receiver answered 2xx and no
 * signature it shows is wrong, 1 otherwise.
 *
 * For a WebhookService embedded in another stack, give `--api-url` and
 * `--admin-key-secret` instead of `--stack`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string' },
      'api-url': { type: 'string' },
      'admin-key-secret': { type: 'string' },
      'receiver-url': { type: 'string' },
      region: { type: 'string' },
      'timeout-seconds': { type: 'string', default: '60' },
    },
  });
  const receiverUrl = values['receiver-url'];
  if (receiverUrl === undefined)
    throw new Error('Give --receiver-url: an https URL that answers 2xx to a POST.');
  const clientSettings = values.region === undefined ? {} : { region: values.region };
  const deployment = await findDeployment(
    { stackName: values.stack, apiUrl: values['api-url'], adminKeySecret: values['admin-key-secret'] },
    {
      cloudFormation: new CloudFormationClient(clientSettings),
      secretsManager: new SecretsManagerClient(clientSettings),
    },
  );
  const report = await runSmoke({
    deployment,
    receiverUrl,
    timeoutMs: Number(values['timeout-seconds']) * 1000,
    log: (line) => console.log(line),
  });
  process.exitCode = passed(report) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`smoke check failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
