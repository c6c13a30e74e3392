import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WebhookService, type WebhookServiceProps } from './webhook-service';

export interface HookpostStackProps extends StackProps {
  readonly service?: WebhookServiceProps;
}

/** A stack holding one WebhookService, with the outputs an operator needs first. */
export class HookpostStack extends Stack {
  readonly service: WebhookService;

  constructor(scope: Construct, id: string, props: HookpostStackProps = {}) {
    super(scope, id, props);
    // One service per stack: the stack's name is unique in its account and region, and names the deployment.
    this.service = new WebhookService(this, 'Hookpost', { name: this.stackName, ...props.service });
    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the REST API', value: this.service.apiUrl });
    new CfnOutput(this, 'EgressIps', {
      description: 'The IPs webhooks come from: receivers allow-list these',
      value: Fn.join(',', this.service.egressIps),
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      description: 'Secrets Manager secret holding the admin key',
      value: this.service.adminKey.secretArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard',
      value: this.service.observability.dashboard.dashboardName,
    });
    // For the redrive of README "Dead letters": read the queue by URL, move it back by ARN.
    new CfnOutput(this, 'DeliveryDeadLetterQueueUrl', {
      description: 'Delivery tasks that failed every receive',
      value: this.service.delivery.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'DeliveryDeadLetterQueueArn', {
      description: 'The same queue, for aws sqs start-message-move-task',
      value: this.service.delivery.deadLetterQueue.queueArn,
    });
  }
}
