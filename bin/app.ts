import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HookpostStack } from '../lib/hookpost-stack';
import { settingsFromContext } from './settings';

/**
 * The CDK app `cdk synth` and `cdk deploy` run: one environment-agnostic Hookpost stack
 * (it deploys to whatever account and region the CLI is pointed at), checked by cdk-nag's
 * AWS Solutions rules. The tests build the app through this same function.
 */
export function createHookpostApp(props: AppProps = {}): { app: App; stack: HookpostStack } {
  const app = new App(props);
  const { stackName, service } = settingsFromContext(app.node);
  const stack = new HookpostStack(app, stackName, {
    description: 'Hookpost: signed, retried webhooks from fixed egress IPs',
    service,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
