#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HookpostStack } from '../lib/hookpost-stack';
import { settingsFromContext } from './settings';

/**
 * `cdk deploy`: one environment-agnostic Hookpost stack (it deploys to whatever account
 * and region the CLI is pointed at), checked by cdk-nag's AWS Solutions rules.
 */
const app = new App();
new HookpostStack(app, 'Hookpost', {
  description: 'Hookpost: signed, retried webhooks from fixed egress IPs',
  service: settingsFromContext(app.node),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
